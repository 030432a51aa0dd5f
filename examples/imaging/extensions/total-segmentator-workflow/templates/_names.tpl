{{/* Named after the release: every install is its own workflow. */}}
{{- define "total-segmentator-workflow.fullname" -}}
{{- .Values.fullnameOverride | default .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "total-segmentator-workflow.modelsDir" -}}
{{- include "total-segmentator-workflow.dataDir" (list . "fast" "models/total-segmentator") -}}
{{- end -}}
