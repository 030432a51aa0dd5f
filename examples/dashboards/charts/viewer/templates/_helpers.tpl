{{- define "viewer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Base name of every object. A release that already carries the chart's name keeps it as is,
so the platform's release "viewer" yields Service "viewer", which is what the other components
expect as the default host name.
*/}}
{{- define "viewer.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "viewer.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "viewer.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "viewer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "viewer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "viewer.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "viewer.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: frontend
app.kubernetes.io/part-of: dashboards
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* registry/repository:tag, or @digest when one is pinned; global.imageRegistry wins (mirrors). */}}
{{- define "viewer.image" -}}
{{- $registry := .Values.global.imageRegistry | default .Values.image.registry -}}
{{- $ref := .Values.image.repository -}}
{{- if $registry }}{{ $ref = printf "%s/%s" $registry $ref }}{{ end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $ref .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $ref (required "image.tag is required: pin a version" (.Values.image.tag | default .Chart.AppVersion)) -}}
{{- end -}}
{{- end -}}

{{- define "viewer.imagePullSecrets" -}}
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
{{- define "viewer.podAnnotations" -}}
{{- $root := .root -}}
{{- $all := merge (dict) (.extra | default dict) ($root.Values.podAnnotations | default dict) ($root.Values.global.podAnnotations | default dict) -}}
{{- if $all -}}
annotations:
  {{- range $key, $value := $all }}
  {{ $key | quote }}: {{ $value | toString | quote }}
  {{- end }}
{{- end }}
{{- end -}}
