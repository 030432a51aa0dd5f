{{/* Fixed: workflow extensions look the ConfigMap up by this name in their namespace. */}}
{{- define "workflow-base.fullname" -}}
{{- .Values.fullnameOverride | default "workflow-base" -}}
{{- end -}}
