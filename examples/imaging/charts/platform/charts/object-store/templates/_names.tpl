{{- define "object-store.fullname" -}}
{{- .Values.fullnameOverride | default (include "object-store.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "object-store.secretName" -}}
{{- .Values.auth.existingSecret | default (include "object-store.fullname" .) -}}
{{- end -}}

{{- define "object-store.headlessName" -}}
{{- printf "%s-headless" (include "object-store.fullname" . | trunc 54 | trimSuffix "-") -}}
{{- end -}}
