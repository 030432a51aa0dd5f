{{- define "faulty.nested" -}}
{{ .Values.deep.inner.value }}
{{- end -}}
