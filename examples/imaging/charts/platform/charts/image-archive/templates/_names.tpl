{{- define "image-archive.fullname" -}}
{{- .Values.fullnameOverride | default (include "image-archive.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "image-archive.headlessName" -}}
{{- printf "%s-headless" (include "image-archive.fullname" . | trunc 54 | trimSuffix "-") -}}
{{- end -}}
