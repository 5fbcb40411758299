{{- /*
The generic component: every service is one entry under .Values.components, rendered by these
templates (after the OpenTelemetry demo chart's component.yaml). Hardening is the default, not
an option: nothing in values can turn off non-root, the read-only root filesystem, dropped
capabilities or seccomp.

Each template takes a dict: root (the chart's top-level context), name (the component's key),
c (its values merged over componentDefaults).
*/}}

{{- define "tracking.component.values" -}}
{{- $c := mustMergeOverwrite (deepCopy .root.Values.componentDefaults) (deepCopy .component) -}}
{{- toYaml $c -}}
{{- end -}}

{{- define "tracking.component.name" -}}
{{- printf "%s-%s" (include "tracking.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tracking.component.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "tracking.component.labels" -}}
{{ include "tracking.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "tracking.component.image" -}}
{{- $g := .root.Values.global.image -}}
{{- $tag := .c.image.tag | default $g.tag | default .root.Chart.AppVersion -}}
{{- if .c.image.digest -}}
{{- printf "%s/%s@%s" $g.registry .c.image.repository .c.image.digest -}}
{{- else -}}
{{- printf "%s/%s:%s" $g.registry .c.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- /* The main port a component serves: grpc, else http. */}}
{{- define "tracking.component.servePort" -}}
{{- if .c.ports.grpc }}{{ .c.ports.grpc }}{{ else }}{{ .c.ports.http }}{{ end -}}
{{- end -}}

{{- /*
Whether the component's pods get its certificate (templates/certificates.yaml): it serves or
calls gRPC, or the edge connects to it (behindEdge, billing's webhook). "true" or empty; always
empty with global.grpc.plaintextForDevelopment, and for its CronJobs' pods (`cronJob` in the
dict): their runs make no gRPC call, so they do not hold the key that is the component's identity.
*/}}
{{- define "tracking.component.mtls" -}}
{{- if and (not .cronJob) (not .root.Values.global.grpc.plaintextForDevelopment) -}}
{{- if or .c.ports.grpc .c.calls .c.behindEdge .c.ports.webhook -}}
true
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* Where a component's certificate Secret (ca.crt, tls.crt, tls.key) is mounted. */}}
{{- define "tracking.mtls.dir" -}}
/var/run/secrets/tracking/mtls
{{- end -}}

{{- /* The name of a component's Certificate and of the Secret cert-manager keeps it in. */}}
{{- define "tracking.component.mtlsSecret" -}}
{{- printf "%s-mtls" (include "tracking.component.name" . | trunc 58 | trimSuffix "-") -}}
{{- end -}}

{{- /*
The components allowed to call this one's gRPC server: every enabled component whose `calls`
names it, comma-separated and sorted (the call graph inverted; the NetworkPolicy admits the same).
*/}}
{{- define "tracking.component.callers" -}}
{{- $name := .name -}}
{{- $callers := list -}}
{{- range $other, $values := .root.Values.components -}}
{{- if and $values.enabled (hasKey ($values.calls | default dict) $name) }}{{ $callers = append $callers $other }}{{ end -}}
{{- end -}}
{{- join "," $callers -}}
{{- end -}}

{{- /* The restricted Pod Security profile, for every container. */}}
{{- define "tracking.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "tracking.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- /* Every component's environment: shared settings, its ports, its callees' addresses, its own settings and its Secret references. */}}
{{- define "tracking.component.env" -}}
{{- $root := .root }}
{{- $c := .c -}}
- name: NODE_ENV
  {{- /* The services refuse GRPC_ALLOW_PLAINTEXT with NODE_ENV=production (schema: development only). */}}
  value: {{ $root.Values.global.grpc.plaintextForDevelopment | ternary "development" "production" }}
- name: BIND_HOST
  value: 0.0.0.0
- name: LOG_LEVEL
  value: {{ $root.Values.global.logLevel | quote }}
- name: OPS_PORT
  value: {{ $c.ports.ops | quote }}
{{- if $c.ports.grpc }}
- name: GRPC_PORT
  value: {{ $c.ports.grpc | quote }}
{{- end }}
{{- if $c.ports.http }}
- name: HTTP_PORT
  value: {{ $c.ports.http | quote }}
{{- end }}
{{- if $c.ports.webhook }}
- name: WEBHOOK_PORT
  value: {{ $c.ports.webhook | quote }}
{{- end }}
- name: SERVICE_VERSION
  value: {{ $c.image.tag | default $root.Values.global.image.tag | default $root.Chart.AppVersion | quote }}
{{- if $c.usesKafka }}
- name: KAFKA_BROKERS
  value: {{ $root.Values.global.kafka.brokers | quote }}
- name: KAFKA_TOPIC_PREFIX
  value: {{ $root.Values.global.kafka.topicPrefix | quote }}
# Its own KafkaUser (templates/strimzi.yaml): SCRAM-SHA-512 inside TLS, never plaintext.
- name: KAFKA_SASL_USERNAME
  value: {{ include "tracking.component.name" . | quote }}
- name: KAFKA_SASL_PASSWORD_FILE
  value: /var/run/secrets/tracking/kafka-user/password
- name: KAFKA_CA_FILE
  value: /var/run/secrets/tracking/kafka-ca/ca.crt
{{- end }}
{{- if $c.usesPostgres }}
# sslmode=verify-full against this CA (global.postgres.caSecretName).
- name: DATABASE_TLS_CA_FILE
  value: /var/run/secrets/tracking/postgres-ca/ca.crt
{{- end }}
{{- if include "tracking.component.mtls" . }}
# Its own certificate (templates/certificates.yaml), re-read every GRPC_TLS_REFRESH_MS.
- name: GRPC_TLS_CA_FILE
  value: {{ include "tracking.mtls.dir" . }}/ca.crt
- name: GRPC_TLS_CERT_FILE
  value: {{ include "tracking.mtls.dir" . }}/tls.crt
- name: GRPC_TLS_KEY_FILE
  value: {{ include "tracking.mtls.dir" . }}/tls.key
- name: GRPC_TLS_REFRESH_MS
  value: {{ $root.Values.global.grpc.refreshMs | quote }}
{{- if $c.ports.grpc }}
- name: GRPC_ALLOWED_CALLERS
  value: {{ include "tracking.component.callers" . | quote }}
{{- end }}
{{- else if and $root.Values.global.grpc.plaintextForDevelopment (not .cronJob) }}
{{- if or $c.ports.grpc $c.calls }}
- name: GRPC_ALLOW_PLAINTEXT
  value: 'true'
{{- end }}
{{- if or $c.behindEdge $c.ports.webhook }}
# The edge then speaks plain HTTP to it too (templates/_edge.tpl).
- name: HTTP_ALLOW_PLAINTEXT
  value: 'true'
{{- end }}
{{- end }}
{{- with $root.Values.global.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- range $callee, $variable := $c.calls }}
{{- $target := index $root.Values.components $callee }}
- name: {{ $variable }}
  value: {{ printf "%s:%v" (include "tracking.component.name" (dict "root" $root "name" $callee)) (include "tracking.component.servePort" (dict "c" $target)) | quote }}
{{- end }}
{{- range $key, $value := $c.env }}
- name: {{ $key }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- range $c.secretEnv }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
{{- end -}}

{{- /* One egress rule to an endpoint: {peers, ports}; DNS gets UDP as well as TCP. */}}
{{- define "tracking.egressRule" -}}
- to:
    {{- toYaml .peers | nindent 4 }}
  ports:
    {{- range .ports }}
    - port: {{ . }}
      protocol: TCP
    {{- if eq (int .) 53 }}
    - port: {{ . }}
      protocol: UDP
    {{- end }}
    {{- end }}
{{- end -}}


{{- /* The container's mounts: /tmp (the only writable place: the root filesystem is read-only), its Secrets as files, its read-only volumes and the release's config. */}}
{{- define "tracking.component.volumeMounts" -}}
# The only writable place: the root filesystem is read-only.
- { name: tmp, mountPath: /tmp }
{{- range $index, $file := .c.secretFiles }}
- { name: secret-{{ $index }}, mountPath: {{ $file.mountPath }}, readOnly: true }
{{- end }}
{{- if .c.usesKafka }}
- { name: kafka-user, mountPath: /var/run/secrets/tracking/kafka-user, readOnly: true }
- { name: kafka-ca, mountPath: /var/run/secrets/tracking/kafka-ca, readOnly: true }
{{- end }}
{{- if include "tracking.component.mtls" . }}
- { name: mtls, mountPath: {{ include "tracking.mtls.dir" . }}, readOnly: true }
{{- end }}
{{- if .c.usesPostgres }}
- { name: postgres-ca, mountPath: /var/run/secrets/tracking/postgres-ca, readOnly: true }
{{- end }}
{{- range .c.volumes }}
- { name: {{ .name }}, mountPath: {{ .mountPath }}, readOnly: true }
{{- end }}
{{- with .c.releaseConfig }}
- { name: release-config, mountPath: {{ .mountPath }}, readOnly: true }
{{- end }}
{{- with .c.staticSite }}
- { name: site-config, mountPath: {{ .configDir }}, readOnly: true }
{{- end }}
{{- end -}}

{{- /*
The component's certificate Secret as a volume: the kubelet replaces the files when cert-manager
renews it (no subPath, which would pin the old ones), and the services re-read them.
*/}}
{{- define "tracking.mtls.volume" -}}
{{- $bundle := .root.Values.global.grpc.trustBundle -}}
- name: mtls
  {{- if $bundle.configMap }}
  # The trusted CAs from a bundle (global.grpc.trustBundle), beside the Secret's certificate and key.
  projected:
    defaultMode: 0440
    sources:
      - secret:
          name: {{ include "tracking.component.mtlsSecret" . }}
          items: [{ key: tls.crt, path: tls.crt }, { key: tls.key, path: tls.key }]
      - configMap:
          name: {{ $bundle.configMap }}
          items: [{ key: {{ $bundle.key }}, path: ca.crt }]
  {{- else }}
  secret:
    secretName: {{ include "tracking.component.mtlsSecret" . }}
    items: [{ key: ca.crt, path: ca.crt }, { key: tls.crt, path: tls.crt }, { key: tls.key, path: tls.key }]
    defaultMode: 0440
  {{- end }}
{{- end -}}

{{- /* PostgreSQL's CA: only ca.crt of the Secret (CloudNativePG's <cluster>-ca also holds the CA's key). */}}
{{- define "tracking.postgresCa.volume" -}}
- name: postgres-ca
  secret:
    secretName: {{ .Values.global.postgres.caSecretName }}
    items: [{ key: ca.crt, path: ca.crt }]
    defaultMode: 0440
{{- end -}}

{{- /* The pod's volumes for those mounts; tmpSize is the /tmp emptyDir's limit. */}}
{{- define "tracking.component.volumes" -}}
- name: tmp
  emptyDir: { sizeLimit: {{ .tmpSize }} }
{{- range $index, $file := .c.secretFiles }}
- name: secret-{{ $index }}
  secret:
    secretName: {{ $file.secretName }}
    defaultMode: 0440
{{- end }}
{{- if .c.usesKafka }}
# The Secret Strimzi's User Operator keeps for the component's KafkaUser, and the brokers' CA.
- name: kafka-user
  secret:
    secretName: {{ include "tracking.component.name" . }}
    items: [{ key: password, path: password }]
    defaultMode: 0440
- name: kafka-ca
  secret:
    secretName: {{ .root.Values.global.kafka.caSecretName }}
    items: [{ key: ca.crt, path: ca.crt }]
    defaultMode: 0440
{{- end }}
{{- if include "tracking.component.mtls" . }}
{{ include "tracking.mtls.volume" . }}
{{- end }}
{{- if .c.usesPostgres }}
{{ include "tracking.postgresCa.volume" .root }}
{{- end }}
{{- range .c.volumes }}
- name: {{ .name }}
  {{- toYaml .source | nindent 2 }}
{{- end }}
{{- if .c.releaseConfig }}
- name: release-config
  configMap:
    name: {{ include "tracking.component.name" . }}-release
{{- end }}
{{- if .c.staticSite }}
- name: site-config
  configMap:
    name: {{ include "tracking.component.name" . }}-site
{{- end }}
{{- end -}}

{{- /*
A component's egress rules: DNS, its callees' serve ports, PostgreSQL, Kafka, the collector and
its own `egress` endpoints. Its Deployment's pods and its CronJobs' pods share them.
*/}}
{{- define "tracking.component.egress" -}}
{{- $root := .root -}}
{{- $c := .c -}}
{{- include "tracking.egressRule" $root.Values.networkPolicy.dns }}
{{- range $callee, $_ := $c.calls }}
{{- $target := include "tracking.component.values" (dict "root" $root "component" (index $root.Values.components $callee)) | fromYaml }}
- to:
    - podSelector:
        matchLabels:
          app.kubernetes.io/instance: {{ $root.Release.Name }}
          app.kubernetes.io/component: {{ $callee }}
  ports:
    - port: {{ include "tracking.component.servePort" (dict "c" $target) }}
      protocol: TCP
{{- end }}
{{- if $c.usesPostgres }}
{{ include "tracking.egressRule" $root.Values.global.postgres }}
{{- end }}
{{- if $c.usesKafka }}
{{ include "tracking.egressRule" $root.Values.global.kafka }}
{{- end }}
{{- if and $root.Values.global.otel.endpoint $root.Values.global.otel.peers }}
{{ include "tracking.egressRule" $root.Values.global.otel }}
{{- end }}
{{- range $c.egress }}
{{ include "tracking.egressRule" . }}
{{- end }}
{{- end -}}


{{- /* The names of the component's enabled CronJobs, space-separated; empty when it has none. */}}
{{- define "tracking.component.cronJobs" -}}
{{- $names := list -}}
{{- range $job, $spec := .c.cronJobs -}}
{{- if or (not (hasKey $spec "enabled")) $spec.enabled }}{{ $names = append $names $job }}{{ end -}}
{{- end -}}
{{- join " " $names -}}
{{- end -}}


{{- /* The values in use, without what may carry a credential (components.yaml, releaseConfig). */}}
{{- define "tracking.releaseValues" -}}
{{- $values := deepCopy .Values -}}
{{- $am := $values.observability.alertmanager -}}
{{- range $key := list "pageWebhookUrl" "ticketWebhookUrl" -}}
{{- if index $am $key }}{{ $_ := set $am $key "<removed: may carry a token>" }}{{ end -}}
{{- end -}}
{{- regexReplaceAll "://[^/?#@\\s]+@" (toYaml $values) "://<removed>@" -}}
{{- end -}}
