{{/* The release name when it already names the archive ("archive"), else <release>-archive. */}}
{{- define "archive.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "archive.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "archive.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The StatefulSet; its pods, and their Services, are <this>-0, <this>-1, ... */}}
{{- define "archive.workerName" -}}
{{- printf "%s-dataset-worker" (include "archive.fullname" . | trunc 45 | trimSuffix "-") -}}
{{- end -}}

{{- define "archive.secretName" -}}
{{- printf "%s-secrets" (include "archive.fullname" . | trunc 55 | trimSuffix "-") -}}
{{- end -}}

{{- define "archive.url" -}}
{{- .Values.url | default (printf "%s://%s" (ternary "https" "http" (not (empty .Values.ingress.tlsSecretName))) .Values.hostname) -}}
{{- end -}}

{{- define "archive.redisHost" -}}
{{- .Values.redis.host | default (printf "%s-redis" .Release.Name | trunc 63 | trimSuffix "-") -}}
{{- end -}}

{{/*
One required secret: (list $ "jwtSecret"). Fails naming the key when it is missing, empty, or
still the <placeholder> copied from secrets.example.yaml.
*/}}
{{- define "archive.secret" -}}
{{- $root := index . 0 -}}
{{- $key := index . 1 -}}
{{- $value := index ($root.Values.secrets | default dict) $key | default "" | toString -}}
{{- if not $value -}}
{{- fail (printf "archive: secrets.%s is required: set it in your secrets file (copy secrets.example.yaml to secrets.yaml and fill in every key)" $key) -}}
{{- end -}}
{{- if and (hasPrefix "<" $value) (hasSuffix ">" $value) -}}
{{- fail (printf "archive: secrets.%s still holds the placeholder from secrets.example.yaml: put the real value in your secrets file" $key) -}}
{{- end -}}
{{- $value -}}
{{- end -}}

{{/* Environment of the API, the workers and the re-index job: configuration and credentials. */}}
{{- define "archive.env" -}}
- {name: ARCHIVE_ENVIRONMENT, value: {{ .Values.environment | quote }}}
- {name: ARCHIVE_URL, value: {{ include "archive.url" . | quote }}}
- {name: ARCHIVE_REDIS_HOST, value: {{ include "archive.redisHost" . | quote }}}
- {name: ARCHIVE_REDIS_PORT, value: {{ .Values.redis.port | quote }}}
- {name: ARCHIVE_S3_BUCKET, value: {{ .Values.s3.bucket | quote }}}
- {name: ARCHIVE_S3_REGION, value: {{ .Values.s3.region | quote }}}
{{- with .Values.s3.endpoint }}
- {name: ARCHIVE_S3_ENDPOINT, value: {{ . | quote }}}
{{- end }}
- {name: ARCHIVE_WORKERS, value: {{ .Values.worker.replicas | quote }}}
- {name: ARCHIVE_WORKER_SERVICE, value: {{ printf "%s-{n}:%v" (include "archive.workerName" .) .Values.worker.port | quote }}}
{{- range $name, $key := dict "ARCHIVE_JWT_SECRET" "jwt-secret" "ARCHIVE_MONGO_URI" "mongo-uri" "AWS_ACCESS_KEY_ID" "s3-access-key" "AWS_SECRET_ACCESS_KEY" "s3-secret-key" }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef: {name: {{ include "archive.secretName" $ }}, key: {{ $key }}}
{{- end }}
{{- end -}}

{{/* The pod spec fields every workload shares. */}}
{{- define "archive.podPlacement" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
