{{/* Named after the release: every install (one per task) is its own workflow. */}}
{{- define "nnunet-workflow.fullname" -}}
{{- .Values.fullnameOverride | default .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "nnunet-workflow.modelsDir" -}}
{{- include "nnunet-workflow.dataDir" (list . "fast" (printf "models/nnunet/%s" .Values.parameters.task)) -}}
{{- end -}}
