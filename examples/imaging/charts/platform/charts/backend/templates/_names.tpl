{{- define "backend.fullname" -}}
{{- .Values.fullnameOverride | default (include "backend.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "backend.secretName" -}}
{{- .Values.objectStore.existingSecret | default (include "backend.fullname" .) -}}
{{- end -}}

{{/* Tokens name the public issuer; their signing keys are fetched in-cluster from the admin namespace. */}}
{{- define "backend.issuerUrl" -}}
{{- .Values.auth.issuerUrl | default (printf "https://%s/auth/realms/%s" .Values.global.domain .Values.auth.realm) -}}
{{- end -}}

{{- define "backend.jwksUrl" -}}
{{- .Values.auth.jwksUrl | default (printf "http://auth.%s.svc:8080/auth/realms/%s/protocol/openid-connect/certs" (include "backend.namespace" (list . "admin")) .Values.auth.realm) -}}
{{- end -}}
