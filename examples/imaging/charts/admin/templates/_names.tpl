{{/* Fixed names: one admin release per (instance) admin namespace, and the services find it by them. */}}
{{- define "admin.proxyName" -}}
proxy
{{- end -}}

{{- define "admin.authName" -}}
auth
{{- end -}}

{{- define "admin.host" -}}
{{- .Values.ingress.host | default .Values.global.domain -}}
{{- end -}}

{{- define "admin.publicIssuer" -}}
{{- printf "https://%s%s/realms/%s" (include "admin.host" .) .Values.auth.path .Values.auth.realm -}}
{{- end -}}

{{- define "admin.internalRealm" -}}
{{- printf "http://%s:%v%s/realms/%s" (include "admin.authName" .) .Values.auth.service.port .Values.auth.path .Values.auth.realm -}}
{{- end -}}
