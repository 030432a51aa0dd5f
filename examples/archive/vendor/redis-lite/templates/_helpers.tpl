{{/*
Helpers shared by the archive charts (each chart carries its own copy, under its own prefix,
so it stays a self-contained chart). Label helpers take (dict "root" $ "component" "name").
*/}}
{{- define "redis-lite.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "redis-lite.selectorLabels" -}}
app.kubernetes.io/name: {{ include "redis-lite.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "redis-lite.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{ include "redis-lite.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: {{ .root.Values.partOf | default .root.Chart.Name }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/*
(dict "root" $ "image" $image) -> registry/repository:tag, or @digest when one is pinned.
global.registry (the platform's registry or an offline mirror) wins over image.registry.
*/}}
{{- define "redis-lite.image" -}}
{{- $registry := .root.Values.global.registry | default .image.registry -}}
{{- $ref := .image.repository -}}
{{- if $registry }}{{ $ref = printf "%s/%s" (trimSuffix "/" $registry) $ref }}{{ end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $ref .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $ref (required (printf "%s: image.tag of %s is required: pin a version" .root.Chart.Name .image.repository) .image.tag) -}}
{{- end -}}
{{- end -}}

{{/* global.imagePullPolicy (IfNotPresent when deploying offline) wins over the image's own. */}}
{{- define "redis-lite.pullPolicy" -}}
{{- .root.Values.global.imagePullPolicy | default .image.pullPolicy | default "IfNotPresent" -}}
{{- end -}}

{{- define "redis-lite.imagePullSecrets" -}}
{{- $secrets := concat (.Values.global.imagePullSecrets | default list) (.Values.imagePullSecrets | default list) -}}
{{- if $secrets -}}
imagePullSecrets:
  {{- range $secrets | uniq }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
Pod template annotations, later wins: global.podAnnotations < podAnnotations < "own" (one
workload's podAnnotations) < "extra" (the chart's checksums). Called with
(dict "root" $ "own" $map "extra" $map). Values are quoted so "5s" stays a string.
*/}}
{{- define "redis-lite.podAnnotations" -}}
{{- $root := .root -}}
{{- $all := merge (dict) (.extra | default dict) (.own | default dict) ($root.Values.podAnnotations | default dict) ($root.Values.global.podAnnotations | default dict) -}}
{{- if $all -}}
annotations:
  {{- range $key, $value := $all }}
  {{ $key | quote }}: {{ $value | toString | quote }}
  {{- end }}
{{- end }}
{{- end -}}
