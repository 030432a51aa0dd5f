{{- define "landing-page.fullname" -}}
{{- .Values.fullnameOverride | default (include "landing-page.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
