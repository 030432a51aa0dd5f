{{- define "platform.versionRecord" -}}
{{- printf "%s-version" (.Release.Name | trunc 55 | trimSuffix "-") -}}
{{- end -}}

{{/* The first chart version with the new storage layout; upgrades from below it migrate. */}}
{{- define "platform.migrationBoundary" -}}
0.4.0
{{- end -}}

{{/*
The chart version this upgrade comes from: migration.fromVersion when set (helmdeck sets it);
else the version the running platform recorded in its ConfigMap (lookup reads the cluster
during a real upgrade; offline renders see nothing); else 0.0.0, since releases before 0.4.0
recorded none.
*/}}
{{- define "platform.fromVersion" -}}
{{- if .Values.migration.fromVersion -}}
{{- .Values.migration.fromVersion -}}
{{- else -}}
{{- $recorded := lookup "v1" "ConfigMap" .Release.Namespace (include "platform.versionRecord" .) -}}
{{- dig "data" "chartVersion" "0.0.0" ($recorded | default dict) -}}
{{- end -}}
{{- end -}}

{{/* "true" when this render is an upgrade across the boundary (from below it, to it or above). */}}
{{- define "platform.crossesBoundary" -}}
{{- $boundary := include "platform.migrationBoundary" . -}}
{{- if and .Release.IsUpgrade (semverCompare (printf "<%s" $boundary) (include "platform.fromVersion" .)) (semverCompare (printf ">=%s" $boundary) .Chart.Version) -}}
true
{{- end -}}
{{- end -}}

{{/* "true" when this render runs the migration: enabled, the backend installed, the boundary crossed. */}}
{{- define "platform.runsMigration" -}}
{{- if and .Values.migration.enabled (index .Values "backend" "enabled") (include "platform.crossesBoundary" .) -}}
true
{{- end -}}
{{- end -}}
