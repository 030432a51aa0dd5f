{{/*
Helpers shared by the imaging charts (each chart carries its own copy, under its own prefix,
so it stays a self-contained chart). Label helpers take (dict "root" $ "component" "name").
*/}}
{{- define "image-archive.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "image-archive.selectorLabels" -}}
app.kubernetes.io/name: {{ include "image-archive.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "image-archive.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{ include "image-archive.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: imaging
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .root.Values.global.instance }}
imaging.helmdeck.dev/instance: {{ . }}
{{- end }}
{{- end -}}

{{/*
(dict "root" $ "image" $image) -> registry/repository:tag, or @digest when one is pinned.
global.registry (the platform's registry or an offline mirror) wins over image.registry.
*/}}
{{- define "image-archive.image" -}}
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
{{- define "image-archive.pullPolicy" -}}
{{- .root.Values.global.imagePullPolicy | default .image.pullPolicy | default "IfNotPresent" -}}
{{- end -}}

{{- define "image-archive.imagePullSecrets" -}}
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
{{- define "image-archive.podAnnotations" -}}
{{- $root := .root -}}
{{- $all := merge (dict) (.extra | default dict) (.own | default dict) ($root.Values.podAnnotations | default dict) ($root.Values.global.podAnnotations | default dict) -}}
{{- if $all -}}
annotations:
  {{- range $key, $value := $all }}
  {{ $key | quote }}: {{ $value | toString | quote }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
(list $ "jobs") -> the namespace of a logical name (admin, services, jobs, extensions), with the
instance prefix helmdeck gives every namespace of an instance ("lab2-jobs").
*/}}
{{- define "image-archive.namespace" -}}
{{- $root := index . 0 -}}
{{- $key := index . 1 -}}
{{- /* helmdeck passes global.namespaces with the instance prefix applied; only a bare key gets it here */ -}}
{{- $given := index ($root.Values.global.namespaces | default dict) $key -}}
{{- if $given -}}
{{- $given -}}
{{- else if $root.Values.global.instance -}}
{{- printf "%s-%s" $root.Values.global.instance $key -}}
{{- else -}}
{{- $key -}}
{{- end -}}
{{- end -}}

{{/*
(list $ "fast"|"slow" "sub/dir") -> a directory under global.fastDataDir or global.slowDataDir.
With global.instance set, the base must carry the instance as a path segment, so two instances
on one node never write to the same directory.
*/}}
{{- define "image-archive.dataDir" -}}
{{- $root := index . 0 -}}
{{- $key := printf "%sDataDir" (index . 1) -}}
{{- $base := required (printf "%s: global.%s is required (an absolute node directory)" $root.Chart.Name $key) (index $root.Values.global $key) -}}
{{- $instance := $root.Values.global.instance -}}
{{- if and $instance (not (has $instance (splitList "/" $base))) -}}
{{- fail (printf "%s: global.%s %q is shared by every instance; with global.instance %q use an instance directory such as %s/%s" $root.Chart.Name $key $base $instance (trimSuffix "/" $base) $instance) -}}
{{- end -}}
{{- printf "%s/%s" (trimSuffix "/" $base) (index . 2) -}}
{{- end -}}

{{/* pvc or hostPath: persistence.type, else global.dataVolumes, else pvc. */}}
{{- define "image-archive.volumeType" -}}
{{- $type := .Values.persistence.type | default .Values.global.dataVolumes | default "pvc" -}}
{{- if not (has $type (list "pvc" "hostPath")) -}}
{{- fail (printf "%s: persistence.type %q is not pvc or hostPath" .Chart.Name $type) -}}
{{- end -}}
{{- $type -}}
{{- end -}}

{{/* (list $ tier subdir): where a claim's data belongs, for provisioners that place volumes by annotation. */}}
{{- define "image-archive.claimAnnotations" -}}
imaging.helmdeck.dev/data-tier: {{ index . 1 }}
imaging.helmdeck.dev/data-dir: {{ include "image-archive.dataDir" . | quote }}
{{- end -}}

{{/* (list $ tier subdir): the node directory as a hostPath volume source. */}}
{{- define "image-archive.hostPathSource" -}}
hostPath:
  path: {{ include "image-archive.dataDir" . | quote }}
  type: DirectoryOrCreate
{{- end -}}

{{- define "image-archive.storageClass" -}}
{{- with .Values.persistence.storageClass | default .Values.global.storageClass -}}
storageClassName: {{ . }}
{{- end -}}
{{- end -}}
