{{/* <release>-<chart name>: as a dependency aliased `redis`, release "archive" gives "archive-redis". */}}
{{- define "redis-lite.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "redis-lite.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "redis-lite.secretName" -}}
{{- .Values.auth.existingSecret | default (include "redis-lite.fullname" .) -}}
{{- end -}}

{{- define "redis-lite.withAuth" -}}
{{- if or .Values.auth.password .Values.auth.existingSecret }}true{{ end -}}
{{- end -}}
