{{- define "ingress.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Base name of the Ingresses. A release that already carries the chart's name keeps it as is,
so the platform's release "ingress" yields Ingresses "ingress", "ingress-api", ...
*/}}
{{- define "ingress.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "ingress.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "ingress.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ingress.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ingress.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ingress.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "ingress.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: ingress
app.kubernetes.io/part-of: dashboards
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
One Ingress. Called with (dict "root" $ "route" $route "suffix" "-api" "paths" $paths) where
$paths is a list of (dict "path" "/api" "service" "backend" "port" 8058).
*/}}
{{- define "ingress.ingress" -}}
{{- $root := .root -}}
{{- $route := .route -}}
{{- $annotations := dict -}}
{{- if $route.inheritCommonAnnotations -}}
{{- $annotations = merge (dict) ($route.annotations | default dict) ($root.Values.commonAnnotations | default dict) -}}
{{- else -}}
{{- $annotations = $route.annotations | default dict -}}
{{- end -}}
{{- $className := $route.ingressClassName | default $root.Values.ingressClassName -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ printf "%s%s" (include "ingress.fullname" $root | trunc (int (sub 63 (len .suffix)))) .suffix | trimSuffix "-" }}
  labels:
    {{- include "ingress.labels" $root | nindent 4 }}
  {{- with $annotations }}
  annotations:
    {{- range $key, $value := . }}
    {{ $key | quote }}: {{ $value | toString | quote }}
    {{- end }}
  {{- end }}
spec:
  {{- with $className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- with $route.tlsSecretName }}
  tls:
    - hosts: [{{ $route.host | quote }}]
      secretName: {{ . }}
  {{- end }}
  rules:
    - host: {{ $route.host | quote }}
      http:
        paths:
          {{- range .paths }}
          - path: {{ .path }}
            pathType: Prefix
            backend:
              service:
                name: {{ .service }}
                port:
                  number: {{ .port }}
          {{- end }}
{{- end -}}
