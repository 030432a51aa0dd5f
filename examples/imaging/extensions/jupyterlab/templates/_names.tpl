{{/* Named after the release (helmdeck names it after the extension, with the instance prefix). */}}
{{- define "jupyterlab.fullname" -}}
{{- .Values.fullnameOverride | default .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jupyterlab.path" -}}
{{- .Values.ingress.path | default (printf "/%s/" .Chart.Name) -}}
{{- end -}}

{{- define "jupyterlab.selected" -}}
{{- $image := get .Values.images .Values.parameters.profile -}}
{{- if not $image }}{{ fail (printf "jupyterlab: parameters.profile %q has no entry in images" .Values.parameters.profile) }}{{ end -}}
{{- toJson $image -}}
{{- end -}}
