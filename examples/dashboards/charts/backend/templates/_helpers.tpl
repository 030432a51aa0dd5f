{{- define "backend.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Base name of every object. A release that already carries the chart's name keeps it as is,
so the platform's release "backend" yields Service "backend", which is what the other components
expect as the default host name.
*/}}
{{- define "backend.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "backend.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "backend.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "backend.selectorLabels" -}}
app.kubernetes.io/name: {{ include "backend.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "backend.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "backend.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: api
app.kubernetes.io/part-of: dashboards
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* registry/repository:tag, or @digest when one is pinned; global.imageRegistry wins (mirrors). */}}
{{- define "backend.image" -}}
{{- $registry := .Values.global.imageRegistry | default .Values.image.registry -}}
{{- $ref := .Values.image.repository -}}
{{- if $registry }}{{ $ref = printf "%s/%s" $registry $ref }}{{ end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $ref .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $ref (required "image.tag is required: pin a version" (.Values.image.tag | default .Chart.AppVersion)) -}}
{{- end -}}
{{- end -}}

{{- define "backend.imagePullSecrets" -}}
{{- $secrets := concat (.Values.global.imagePullSecrets | default list) (.Values.imagePullSecrets | default list) -}}
{{- if $secrets -}}
imagePullSecrets:
  {{- range $secrets | uniq }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
Pod template annotations: global.podAnnotations < podAnnotations < the chart's own (checksums).
Called with (dict "root" $ "extra" $map). Values are quoted so "5s" or a number stay strings.
*/}}
{{- define "backend.podAnnotations" -}}
{{- $root := .root -}}
{{- $all := merge (dict) (.extra | default dict) ($root.Values.podAnnotations | default dict) ($root.Values.global.podAnnotations | default dict) -}}
{{- if $all -}}
annotations:
  {{- range $key, $value := $all }}
  {{ $key | quote }}: {{ $value | toString | quote }}
  {{- end }}
{{- end }}
{{- end -}}

{{- define "backend.s3Endpoint" -}}
{{- if .Values.minio.endpoint -}}
{{- .Values.minio.endpoint -}}
{{- else if .Values.minio.external -}}
{{- fail "backend: minio.endpoint is required when minio.external is true (e.g. https://s3.example.org)" -}}
{{- else -}}
http://minio:9000
{{- end -}}
{{- end -}}

{{/* Whether the auth mode signs session tokens; fails on an unknown mode. */}}
{{- define "backend.authNeedsJwt" -}}
{{- $modes := list "single-user" "public" "multi-user" -}}
{{- if not (has .Values.auth.mode $modes) -}}
{{- fail (printf "backend: auth.mode %q is not one of %s" .Values.auth.mode (join ", " $modes)) -}}
{{- end -}}
{{- if ne .Values.auth.mode "single-user" }}true{{ end -}}
{{- end -}}

{{/* env entry reading KEY of Secret NAME: (list envName secretName key) */}}
{{- define "backend.secretEnv" -}}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ index . 1 }}
      key: {{ index . 2 }}
{{- end -}}

{{/* Secret-backed environment shared by the API pods (not the migrations hook). */}}
{{- define "backend.secretEnvs" -}}
{{- $own := include "backend.fullname" . -}}
{{ include "backend.secretEnv" (list "DASH_MONGO_PASSWORD" (.Values.mongo.existingSecret | default $own) "mongodb-root-password") }}
{{- if .Values.redis.password }}
{{ include "backend.secretEnv" (list "DASH_REDIS_PASSWORD" $own "redis-password") }}
{{- end }}
{{ include "backend.secretEnv" (list "DASH_S3_ACCESS_KEY" (.Values.minio.existingSecret | default $own) "access-key") }}
{{ include "backend.secretEnv" (list "DASH_S3_SECRET_KEY" (.Values.minio.existingSecret | default $own) "secret-key") }}
{{- if or (include "backend.authNeedsJwt" .) .Values.auth.jwtSecret .Values.auth.existingSecret }}
{{ include "backend.secretEnv" (list "DASH_AUTH_JWT_SECRET" (.Values.auth.existingSecret | default $own) "jwt-secret") }}
{{- end }}
{{- if and (eq .Values.auth.mode "multi-user") .Values.auth.multiUser.oauth.google.clientId }}
{{ include "backend.secretEnv" (list "DASH_AUTH_GOOGLE_CLIENT_SECRET" $own "google-client-secret") }}
{{- end }}
{{- end -}}
