{{/*
Fixed names. tare (doctor, upgrade, uninstall) and the TARS controller look
these objects up by name, so they are not configurable.
*/}}
{{- define "tars.gatewayClassName" -}}tars-egress{{- end -}}
{{- define "tars.gatewayName" -}}egress{{- end -}}
{{- define "tars.envoyProxyName" -}}tars-egress-proxy{{- end -}}
{{- define "tars.configName" -}}tars-config{{- end -}}
{{- define "tars.identityName" -}}tars-identity{{- end -}}
{{- define "tars.gatewayControllerName" -}}gateway.envoyproxy.io/tars-egress{{- end -}}

{{/* The system namespace is the release namespace. */}}
{{- define "tars.systemNamespace" -}}{{ .Release.Namespace }}{{- end -}}

{{/* The data-plane namespace (Gateway, Envoy proxies, guardrails, OTel). */}}
{{- define "tars.dataplaneNamespace" -}}
{{- required "global.dataplaneNamespace is required" .Values.global.dataplaneNamespace -}}
{{- end -}}

{{/* helm.sh/chart label value. */}}
{{- define "tars.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels shared by every object.
*/}}
{{- define "tars.labels" -}}
helm.sh/chart: {{ include "tars.chart" . }}
app.kubernetes.io/part-of: tars
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
Labels of a component's objects. Call with (dict "ctx" $ "component" "name").
*/}}
{{- define "tars.componentLabels" -}}
{{ include "tars.labels" .ctx }}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
Selector labels of a component (immutable once deployed).
Call with (dict "ctx" $ "component" "name").
*/}}
{{- define "tars.selectorLabels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end -}}

{{/*
Pod labels: selector labels, the short `app` label used in the docs
(`kubectl logs -l app=tars`) and the common labels.
Call with (dict "ctx" $ "component" "name" "app" "tars").
*/}}
{{- define "tars.podLabels" -}}
{{ include "tars.componentLabels" . }}
app: {{ .app | default .component }}
{{- end -}}

{{/*
Full image reference for an entry of .Values.images.
Call with (dict "ctx" $ "name" "controller").
  <global.imageRegistry | registry>/<repository>:<global.imageTag (own images) | tag>
*/}}
{{- define "tars.image" -}}
{{- $img := index .ctx.Values.images .name -}}
{{- if not $img -}}
{{- fail (printf "images.%s is not defined" .name) -}}
{{- end -}}
{{- $registry := .ctx.Values.global.imageRegistry | default $img.registry | default "" | trimSuffix "/" -}}
{{- $tag := required (printf "images.%s.tag is required" .name) $img.tag | toString -}}
{{- if and $img.own .ctx.Values.global.imageTag -}}
{{- $tag = .ctx.Values.global.imageTag | toString -}}
{{- end -}}
{{- $repo := required (printf "images.%s.repository is required" .name) $img.repository -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" $registry $repo $tag -}}
{{- else -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}
{{- end -}}

{{/*
imagePullSecrets for a pod spec (indent with nindent by the caller).
*/}}
{{- define "tars.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecretName }}
imagePullSecrets:
  - name: {{ . }}
{{- end }}
{{- end -}}

{{/*
nodeSelector / tolerations / affinity from a map with those keys.
*/}}
{{- define "tars.scheduling" -}}
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
{{- end -}}

{{/*
Scheduling of the guardrails pods: the explicit guardrails.nodeSelector /
affinity / tolerations win; otherwise the same keys of guardrails.config.
*/}}
{{- define "tars.guardrailsScheduling" -}}
{{- $g := .Values.guardrails -}}
{{- $cfg := $g.config | default dict -}}
{{- include "tars.scheduling" (dict
      "nodeSelector" ($g.nodeSelector | default $cfg.nodeSelector)
      "tolerations" ($g.tolerations | default $cfg.tolerations)
      "affinity" ($g.affinity | default $cfg.affinity)) -}}
{{- end -}}

{{/*
Restricted pod and container security contexts.
*/}}
{{- define "tars.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "tars.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
{{- end -}}

{{/*
Deployment-wide settings.
*/}}
{{- define "tars.deploymentSpec" -}}
{{- with .Values.deployments.progressDeadlineSeconds }}
progressDeadlineSeconds: {{ . }}
{{- end }}
{{- with .Values.deployments.revisionHistoryLimit }}
revisionHistoryLimit: {{ . }}
{{- end }}
{{- end -}}

{{/* Redis address as seen by the data plane. */}}
{{- define "tars.redisAddress" -}}
{{- if eq .Values.redis.type "hosted" -}}
{{- required "redis.address is required when redis.type is hosted" .Values.redis.address -}}
{{- else -}}
{{- printf "redis.%s.svc:6379" (include "tars.systemNamespace" .) -}}
{{- end -}}
{{- end -}}

{{/* Address of the ratelimit gRPC service. */}}
{{- define "tars.ratelimitAddress" -}}
{{- printf "ratelimit.%s.svc:8081" (include "tars.systemNamespace" .) -}}
{{- end -}}

{{/* Address of the guardrails API. */}}
{{- define "tars.guardrailsAddress" -}}
{{- printf "http://llm-guard-api.%s.svc:%v" (include "tars.dataplaneNamespace" .) .Values.guardrails.llmGuardApi.port -}}
{{- end -}}

{{/* Envoy drain timeout as a duration string (300 -> "300s"). */}}
{{- define "tars.drainTimeout" -}}
{{- printf "%ds" (int .Values.envoy.drainTimeoutSeconds) -}}
{{- end -}}

{{/* HPA floor of the data-plane Envoy. */}}
{{- define "tars.envoyMinReplicas" -}}
{{- if .Values.ha.enabled -}}{{ int .Values.ha.minReplicas }}{{- else -}}1{{- end -}}
{{- end -}}

{{/*
Projected volume with the identity Secret and ConfigMap, mounted at
/var/run/tars/identity.
*/}}
{{- define "tars.identityVolume" -}}
- name: identity
  projected:
    sources:
      - secret:
          name: {{ include "tars.identityName" . }}
      - configMap:
          name: {{ include "tars.identityName" . }}
{{- end -}}

{{/*
Checksums that roll pods when the identity or tars-config change at install
or upgrade time.
*/}}
{{- define "tars.configChecksums" -}}
checksum/identity: {{ include (print .Template.BasePath "/identity.yaml") . | sha256sum }}
checksum/tars-config: {{ include (print .Template.BasePath "/tars-config.yaml") . | sha256sum }}
{{- end -}}

{{/* redis.conf of the in-cluster Redis. */}}
{{- define "tars.redisConf" -}}
bind 0.0.0.0
port 6379
protected-mode no
dir /data
appendonly {{ ternary "yes" "no" .Values.redis.persistence.enabled }}
appendfsync everysec
save ""
maxmemory-policy noeviction
{{- end -}}

{{/*
OpenTelemetry collector configuration.
*/}}
{{- define "tars.otelConfig" -}}
{{- $otlp := .Values.otelCollector.exporters.otlp -}}
{{- $auth := $otlp.headers.Authorization | default "" -}}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
      http:
        endpoint: 0.0.0.0:4318
processors:
  batch:
    timeout: 5s
  memory_limiter:
    check_interval: 5s
    limit_percentage: 80
    spike_limit_percentage: 25
  # Strip Envoy's dynamic-modules scope prefix so router_* metrics keep their
  # canonical names.
  transform/strip_scope:
    metric_statements:
      - context: metric
        statements:
          - replace_pattern(name, "^dynamicmodulescustom\\.", "")
exporters:
  prometheus:
    endpoint: 0.0.0.0:9464
    namespace: ""
    send_timestamps: true
    metric_expiration: 30m
    resource_to_telemetry_conversion:
      enabled: true
  {{- if $otlp.endpoint }}
  otlp:
    endpoint: {{ $otlp.endpoint | quote }}
    {{- if $otlp.insecure }}
    tls:
      insecure: true
    {{- end }}
    {{- if $auth }}
    headers:
      Authorization: ${env:OTLP_AUTHORIZATION}
    {{- end }}
  {{- else }}
  debug:
    verbosity: basic
  {{- end }}
extensions:
  health_check:
    endpoint: 0.0.0.0:13133
service:
  extensions: [health_check]
  telemetry:
    metrics:
      address: 0.0.0.0:8888
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [memory_limiter, transform/strip_scope, batch]
      exporters: [{{ if $otlp.endpoint }}prometheus, otlp{{ else }}prometheus{{ end }}]
    logs:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [{{ if $otlp.endpoint }}otlp{{ else }}debug{{ end }}]
    traces:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [{{ if $otlp.endpoint }}otlp{{ else }}debug{{ end }}]
{{- end -}}
