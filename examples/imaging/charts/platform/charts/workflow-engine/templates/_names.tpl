{{/* One engine per platform release and namespace: objects carry the chart's name. */}}
{{- define "workflow-engine.fullname" -}}
{{- .Values.fullnameOverride | default (include "workflow-engine.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "workflow-engine.claimName" -}}
{{- printf "%s-data" (include "workflow-engine.fullname" .) -}}
{{- end -}}
