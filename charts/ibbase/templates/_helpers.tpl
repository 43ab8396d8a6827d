{{/* Names ------------------------------------------------------------------------------- */}}

{{- define "ibbase.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's base name; component objects append "-<component>". */}}
{{- define "ibbase.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* (dict "ctx" $ "component" "gateway") -> "<fullname>-gateway" */}}
{{- define "ibbase.componentName" -}}
{{- printf "%s-%s" (include "ibbase.fullname" .ctx) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ibbase.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The operator's channel registry Secret, mounted by the gateway and the worker. */}}
{{- define "ibbase.registrySecret" -}}
{{- printf "%s-channels" (include "ibbase.fullname" .) }}
{{- end }}

{{- define "ibbase.operatorServiceAccount" -}}
{{- include "ibbase.componentName" (dict "ctx" . "component" "operator") }}
{{- end }}

{{/* Labels ------------------------------------------------------------------------------ */}}

{{/* Every pod of the release (the default-deny NetworkPolicy selects these). */}}
{{- define "ibbase.instanceLabels" -}}
app.kubernetes.io/name: {{ include "ibbase.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector labels of one component: never the chart version, which changes. */}}
{{- define "ibbase.selectorLabels" -}}
{{ include "ibbase.instanceLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "ibbase.labels" -}}
helm.sh/chart: {{ include "ibbase.chart" .ctx }}
{{ include "ibbase.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: ibbase
{{- end }}

{{/* Images ------------------------------------------------------------------------------ */}}

{{/* (dict "image" .Values.image "ctx" $) -> repository:tag or repository@digest */}}
{{- define "ibbase.imageRef" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (default .ctx.Chart.AppVersion .image.tag) }}
{{- end }}
{{- end }}

{{- define "ibbase.image" -}}
{{- include "ibbase.imageRef" (dict "image" .Values.image "ctx" .) }}
{{- end }}

{{/* (dict "image" .Values.<x>.image "ctx" $) -> that image, or the gateway image when its
repository is empty. */}}
{{- define "ibbase.subImage" -}}
{{- if .image.repository }}
{{- include "ibbase.imageRef" (dict "image" (mergeOverwrite (dict "digest" "") .image) "ctx" .ctx) }}
{{- else }}
{{- include "ibbase.image" .ctx }}
{{- end }}
{{- end }}

{{- define "ibbase.ocrImage" -}}
{{- include "ibbase.subImage" (dict "image" .Values.ocr.image "ctx" .) }}
{{- end }}

{{- /* The GPU worker group's image: the OCR image with the `gpu` extra (PyTorch on CUDA). */}}
{{- define "ibbase.ocrGpuImage" -}}
{{- include "ibbase.subImage" (dict "image" .Values.ocr.gpuWorkers.image "ctx" .) }}
{{- end }}

{{- define "ibbase.operatorImage" -}}
{{- include "ibbase.subImage" (dict "image" .Values.operator.image "ctx" .) }}
{{- end }}

{{/* Connections -------------------------------------------------------------------------- */}}

{{/* "true" when the chart runs NATS itself (no nats.external.url), else empty. */}}
{{- define "ibbase.natsInChart" -}}
{{- if not .Values.nats.external.url }}true{{ end }}
{{- end }}

{{- define "ibbase.natsUrl" -}}
{{- if include "ibbase.natsInChart" . }}
{{- printf "nats://%s-client:4222" (include "ibbase.componentName" (dict "ctx" . "component" "nats")) }}
{{- else }}
{{- .Values.nats.external.url }}
{{- end }}
{{- end }}

{{/* IBBASE_STREAM_REPLICAS: copies of each stream, at most 3 (JetStream's usual choice; 5
     costs write latency for little), never more than the servers that can hold them. */}}
{{- define "ibbase.streamReplicas" -}}
{{- if include "ibbase.natsInChart" . }}
{{- min (int .Values.nats.replicas) 3 }}
{{- else }}
{{- .Values.nats.external.streamReplicas }}
{{- end }}
{{- end }}

{{/* NATS_URL as the gateway and the worker get it: with auth, each server's URL carries
     $(NATS_USER):$(NATS_PASSWORD)@, which the kubelet expands from the two variables set
     before it from the Secret, so that no password is in values or in the pod spec. */}}
{{- define "ibbase.natsClientUrl" -}}
{{- $url := include "ibbase.natsUrl" . }}
{{- if .Values.nats.auth.enabled }}
{{- $servers := list }}
{{- range splitList "," $url }}
{{- $server := trim . }}
{{- $scheme := regexFind "^[a-z]+://" $server }}
{{- $servers = append $servers (printf "%s$(NATS_USER):$(NATS_PASSWORD)@%s" $scheme (trimPrefix $scheme $server)) }}
{{- end }}
{{- join "," $servers }}
{{- else }}
{{- $url }}
{{- end }}
{{- end }}

{{/* The Secret with the NATS user and password: yours, else the chart's own for the bundled
     server; an external server's credentials can only be yours. */}}
{{- define "ibbase.natsAuthSecret" -}}
{{- if .Values.nats.auth.existingSecret }}
{{- .Values.nats.auth.existingSecret }}
{{- else if include "ibbase.natsInChart" . }}
{{- printf "%s-nats-auth" (include "ibbase.fullname" .) }}
{{- else }}
{{- fail "nats.auth: an external NATS needs nats.auth.existingSecret (a Secret with its user and password), or nats.auth.enabled=false for a server without authentication" }}
{{- end }}
{{- end }}

{{/* The Secret with Ray's token (key auth_token): yours, else the chart's own. */}}
{{- define "ibbase.rayAuthSecret" -}}
{{- default (printf "%s-ray-auth" (include "ibbase.fullname" .)) .Values.ocr.auth.existingSecret }}
{{- end }}

{{/* (dict "ctx" $ "name" SECRET "key" KEY "new" BASE64) -> the live Secret's value of KEY
     (an upgrade keeps it), else "new" (the first install, or `helm template`). */}}
{{- define "ibbase.keptSecretValue" -}}
{{- $live := lookup "v1" "Secret" .ctx.Release.Namespace .name | default dict }}
{{- dig "data" .key .new $live }}
{{- end }}

{{/* Port of an external NATS URL, for the egress rule (the first server of a list). */}}
{{- define "ibbase.natsExternalPort" -}}
{{- $first := first (splitList "," .Values.nats.external.url) | trim }}
{{- $port := (urlParse $first).host | regexFind ":[0-9]+$" | trimPrefix ":" }}
{{- default "4222" $port }}
{{- end }}

{{/* The CloudNativePG Cluster's name; its operator makes "<name>-app" (key uri) and the
     Services "<name>-rw" / "-ro". */}}
{{- define "ibbase.cnpgCluster" -}}
{{- include "ibbase.componentName" (dict "ctx" . "component" "db") }}
{{- end }}

{{- define "ibbase.databaseSecret" -}}
{{- if .Values.postgresql.cnpg.enabled }}
{{- printf "%s-app" (include "ibbase.cnpgCluster" .) }}
{{- else }}
{{- default (printf "%s-database" (include "ibbase.fullname" .)) .Values.postgresql.existingSecret }}
{{- end }}
{{- end }}

{{- define "ibbase.databaseUrlKey" -}}
{{- if .Values.postgresql.cnpg.enabled }}uri{{ else }}{{ .Values.postgresql.urlKey }}{{ end }}
{{- end }}

{{/* "true" when the database is one of the release's own objects (it does not exist
     before the install: the migration hook then runs post-install). */}}
{{- define "ibbase.databaseInRelease" -}}
{{- if or .Values.postgresql.bundled.enabled .Values.postgresql.cnpg.enabled }}true{{ end }}
{{- end }}

{{- define "ibbase.adminSecret" -}}
{{- default (printf "%s-admin" (include "ibbase.fullname" .)) .Values.adminToken.existingSecret }}
{{- end }}

{{/* The Serve service KubeRay makes for the RayService: "<rayservice>-serve-svc". */}}
{{- define "ibbase.ocrUrl" -}}
{{- printf "http://%s-serve-svc.%s.svc:%d" (include "ibbase.componentName" (dict "ctx" . "component" "ocr")) .Release.Namespace (int .Values.ocr.servePort) }}
{{- end }}

{{- define "ibbase.gatewayUrl" -}}
{{- printf "http://%s.%s.svc:%d" (include "ibbase.componentName" (dict "ctx" . "component" "gateway")) .Release.Namespace (int .Values.gateway.service.port) }}
{{- end }}

{{/* Pod pieces --------------------------------------------------------------------------- */}}

{{- define "ibbase.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext }}
{{- end }}

{{- define "ibbase.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext }}
{{- end }}

{{- define "ibbase.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Environment of the gateway and the worker: no secret value ever, only references. */}}
{{- define "ibbase.appEnv" -}}
- name: IBBASE_ENV
  value: {{ .Values.environment | quote }}
- name: IBBASE_HOST
  value: "0.0.0.0"
{{- if .Values.nats.auth.enabled }}
{{- $natsAuth := include "ibbase.natsAuthSecret" . }}
- name: NATS_USER
  valueFrom:
    secretKeyRef:
      name: {{ $natsAuth }}
      key: {{ .Values.nats.auth.userKey }}
- name: NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $natsAuth }}
      key: {{ .Values.nats.auth.passwordKey }}
{{- end }}
- name: NATS_URL
  value: {{ include "ibbase.natsClientUrl" . | quote }}
- name: IBBASE_STREAM_REPLICAS
  value: {{ include "ibbase.streamReplicas" . | quote }}
{{- with .Values.nats.streams }}
- name: IBBASE_STREAM_MAX_AGE_S
  value: {{ .maxAgeSeconds | int64 | quote }}
- name: IBBASE_STREAM_MAX_BYTES
  value: {{ .maxBytes | int64 | quote }}
- name: IBBASE_STREAM_MAX_MSGS_PER_SUBJECT
  value: {{ .maxMsgsPerSubject | int64 | quote }}
- name: IBBASE_DLQ_MAX_BYTES
  value: {{ .dlqMaxBytes | int64 | quote }}
{{- end }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "ibbase.databaseSecret" . }}
      key: {{ include "ibbase.databaseUrlKey" . }}
- name: IBBASE_ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "ibbase.adminSecret" . }}
      key: {{ .Values.adminToken.key }}
- name: IBBASE_CHANNELS_DIR
  value: /etc/ibbase/channels
- name: WHATSAPP_API_URL
  value: {{ .Values.whatsapp.apiUrl | quote }}
{{- with .Values.whatsapp.existingSecret }}
- name: WHATSAPP_PHONE_ID
  value: {{ required "whatsapp.phoneNumberId is needed with whatsapp.existingSecret" $.Values.whatsapp.phoneNumberId | quote }}
- name: WHATSAPP_ACCESS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.whatsapp.accessTokenKey }}
- name: WHATSAPP_APP_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.whatsapp.appSecretKey }}
- name: WHATSAPP_VERIFY_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.whatsapp.verifyTokenKey }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The channel registry, mounted as a directory (no subPath) so that the kubelet's atomic
     swap reaches running pods; optional, as the operator creates it with the first channel. */}}
{{- define "ibbase.channelsVolume" -}}
- name: channels
  secret:
    secretName: {{ include "ibbase.registrySecret" . }}
    optional: true
    defaultMode: 0440
{{- end }}

{{- define "ibbase.channelsMount" -}}
- name: channels
  mountPath: /etc/ibbase/channels
  readOnly: true
{{- end }}

{{- define "ibbase.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end }}

{{- define "ibbase.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* nodeSelector / tolerations / affinity of a component block. */}}
{{- define "ibbase.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
