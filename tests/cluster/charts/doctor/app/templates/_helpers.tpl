{{- define "app.pod" -}}
metadata:
  labels:
    app: {{ .name }}
  {{- with .root.Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with .root.Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  {{- if .root.Values.initContainer.enabled }}
  initContainers:
    - name: setup
      image: {{ .root.Values.initContainer.image }}
      resources:
        {{- toYaml .root.Values.resources | nindent 8 }}
  {{- end }}
  {{- if .restartNever }}
  restartPolicy: Never
  {{- end }}
  containers:
    - name: app
      image: {{ .root.Values.image }}
      resources:
        {{- toYaml .root.Values.resources | nindent 8 }}
      {{- if and .root.Values.persistence.enabled (not .restartNever) }}
      volumeMounts:
        - name: data
          mountPath: /data
      {{- end }}
  {{- if and .root.Values.persistence.enabled (not .restartNever) }}
  volumes:
    - name: data
      persistentVolumeClaim:
        claimName: {{ .root.Release.Name }}-data
  {{- end }}
{{- end -}}
