{{- define "shop.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "shop.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- with .Values.gennaker }}
gennaker.dev/server-group: {{ .serverGroup | quote }}
gennaker.dev/version: {{ .version | quote }}
{{- end }}
{{- end }}
