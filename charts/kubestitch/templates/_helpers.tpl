{{/* Chart name, overridable. */}}
{{- define "kubestitch.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-kubestitch, or the release name when it already holds the chart name. */}}
{{- define "kubestitch.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kubestitch.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubestitch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kubestitch.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kubestitch.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "kubestitch.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kubestitch.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
"true" when leader election is on: forced by leaderElection.enabled, else whenever there is more
than one replica. Several replicas without it would all export, so that combination fails.
*/}}
{{- define "kubestitch.leaderElect" -}}
{{- $le := .Values.leaderElection.enabled }}
{{- if and (kindIs "bool" $le) (not $le) (gt (int .Values.replicaCount) 1) }}
{{- fail "leaderElection.enabled=false with replicaCount > 1: every replica would export the same traces; enable leader election or use one replica" }}
{{- end }}
{{- if kindIs "bool" $le }}{{ ternary "true" "" $le }}{{ else if gt (int .Values.replicaCount) 1 }}true{{ end }}
{{- end }}

{{/* How long `kubestitch run` drains on SIGTERM (its default, or extraConfig's), whole seconds up. */}}
{{- define "kubestitch.shutdownDeadlineSeconds" -}}
{{- $d := index .Values.extraConfig "shutdown-deadline-seconds" | default 20 }}
{{- ceil (float64 $d) | int }}
{{- end }}

{{- define "kubestitch.leaseName" -}}
{{- default (include "kubestitch.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{/* StatefulSet when every replica needs its own persistent data dir (LevelDB is single-writer). */}}
{{- define "kubestitch.workloadKind" -}}
{{- if and .Values.persistence.enabled (gt (int .Values.replicaCount) 1) }}StatefulSet{{ else }}Deployment{{ end }}
{{- end }}

{{- define "kubestitch.tlsSecretName" -}}
{{- if eq .Values.auditWebhook.tls.mode "existingSecret" }}
{{- required "auditWebhook.tls.existingSecret is required when auditWebhook.tls.mode is existingSecret" .Values.auditWebhook.tls.existingSecret }}
{{- else }}
{{- printf "%s-tls" (include "kubestitch.fullname" .) }}
{{- end }}
{{- end }}

{{- define "kubestitch.tokenSecretName" -}}
{{- if .Values.auditWebhook.token.existingSecret }}
{{- .Values.auditWebhook.token.existingSecret }}
{{- else if .Values.auditWebhook.token.generate }}
{{- printf "%s-audit-token" (include "kubestitch.fullname" .) }}
{{- end }}
{{- end }}

{{/* The in-cluster DNS names of the Service; the audit webhook certificate carries all of them. */}}
{{- define "kubestitch.serviceDnsNames" -}}
{{- $svc := include "kubestitch.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | toJson }}
{{- end }}

{{/*
Where host-network components (apiserver, kubelet, containerd, etcd) reach the Service: its fixed
ClusterIP when set (they cannot resolve *.svc names), else the DNS name with a caveat in NOTES.
*/}}
{{- define "kubestitch.hostReachableAddress" -}}
{{- if .Values.service.clusterIP }}{{ .Values.service.clusterIP }}{{ else }}{{ printf "%s.%s.svc" (include "kubestitch.fullname" .) .Release.Namespace }}{{ end }}
{{- end }}

{{/*
The API group and resource of a watchKinds entry `<resource>.<version>[.<group>][:metadata]`,
as a JSON object {"group":..., "resource":...}. Secrets are refused: kubestitch never reads them.
*/}}
{{- define "kubestitch.parseWatchKind" -}}
{{- $spec := index (splitList ":" .) 0 }}
{{- $parts := splitList "." $spec }}
{{- if lt (len $parts) 2 }}
{{- fail (printf "watchKinds entry %q must be <resource>.<version>[.<group>]" .) }}
{{- end }}
{{- $resource := index $parts 0 }}
{{- $group := join "." (slice $parts 2) }}
{{- if eq $resource "secrets" }}
{{- fail (printf "watchKinds entry %q: kubestitch never watches Secrets" .) }}
{{- end }}
{{- dict "group" $group "resource" $resource | toJson }}
{{- end }}

{{/* The run config file (keys = `kubestitch run` flag names), see docs/operating.md. */}}
{{- define "kubestitch.runConfig" -}}
{{- $v := .Values }}
{{- $sources := list "watch" "events" }}
{{- if $v.auditWebhook.enabled }}{{ $sources = append $sources "audit" }}{{ end }}
{{- if $v.otlp.enabled }}{{ $sources = append $sources "otlp" }}{{ end }}
{{- $c := dict "cluster" $v.clusterName "sources" $sources "data-dir" "/var/lib/kubestitch" }}
{{- if $v.watchKinds }}{{ $_ := set $c "watch-kinds" $v.watchKinds }}{{ end }}
{{- with $v.watchScope }}
{{- if .namespaces }}{{ $_ := set $c "namespaces" .namespaces }}{{ end }}
{{- if .excludeNamespaces }}{{ $_ := set $c "exclude-namespaces" .excludeNamespaces }}{{ end }}
{{- if .labelSelector }}{{ $_ := set $c "label-selector" .labelSelector }}{{ end }}
{{- end }}
{{- if $v.auditWebhook.enabled }}
{{- $_ := set $c "audit-webhook-addr" (printf ":%d" (int $v.auditWebhook.port)) }}
{{- $_ := set $c "audit-webhook-path" $v.auditWebhook.path }}
{{- $_ := set $c "audit-tls-cert" "/etc/kubestitch/tls/tls.crt" }}
{{- $_ := set $c "audit-tls-key" "/etc/kubestitch/tls/tls.key" }}
{{- if $v.auditWebhook.clientCASecret }}{{ $_ := set $c "audit-client-ca" "/etc/kubestitch/client-ca/ca.crt" }}{{ end }}
{{- if include "kubestitch.tokenSecretName" . }}{{ $_ := set $c "audit-webhook-token-file" "/etc/kubestitch/token/token" }}{{ end }}
{{- end }}
{{- if $v.otlp.enabled }}
{{- /* The pod IP, expanded by kubestitch from the POD_IP env var: not every pod interface. */}}
{{- $_ := set $c "otlp-grpc-addr" (printf "[$(POD_IP)]:%d" (int $v.otlp.grpcPort)) }}
{{- $_ := set $c "otlp-http-addr" (printf "[$(POD_IP)]:%d" (int $v.otlp.httpPort)) }}
{{- if $v.otlp.token.existingSecret }}{{ $_ := set $c "otlp-token-file" "/etc/kubestitch/otlp-token/token" }}{{ end }}
{{- if $v.otlp.tls.existingSecret }}
{{- $_ := set $c "otlp-tls-cert" "/etc/kubestitch/otlp-tls/tls.crt" }}
{{- $_ := set $c "otlp-tls-key" "/etc/kubestitch/otlp-tls/tls.key" }}
{{- if $v.otlp.tls.clientCASecret }}{{ $_ := set $c "otlp-client-ca" "/etc/kubestitch/otlp-client-ca/ca.crt" }}{{ end }}
{{- else if $v.otlp.tls.clientCASecret }}
{{- fail "otlp.tls.clientCASecret needs otlp.tls.existingSecret: client certificates need TLS" }}
{{- end }}
{{- if $v.otlp.forwardEndpoint }}{{ $_ := set $c "otlp-forward-endpoint" $v.otlp.forwardEndpoint }}{{ end }}
{{- end }}
{{- if $v.export.otlpEndpoint }}
{{- $_ := set $c "otlp-endpoint" $v.export.otlpEndpoint }}
{{- /* Only with an endpoint here: otherwise extraEnv's OTEL_EXPORTER_OTLP_* configure the export. */}}
{{- $_ := set $c "otlp-protocol" $v.export.protocol }}
{{- $_ := set $c "otlp-compression" $v.export.compression }}
{{- $_ := set $c "otlp-timeout" $v.export.timeout }}
{{- end }}
{{- with $v.export.tls }}{{ if .existingSecret }}
{{- if hasPrefix "http://" $v.export.otlpEndpoint }}{{ fail "export.tls.existingSecret needs an https:// export.otlpEndpoint" }}{{ end }}
{{- if ne (empty .certKey) (empty .keyKey) }}{{ fail "export.tls: give both certKey and keyKey (a client certificate and its key), or neither" }}{{ end }}
{{- if and (not .caKey) (not .certKey) }}{{ fail "export.tls.existingSecret: give caKey and/or certKey/keyKey" }}{{ end }}
{{- if .caKey }}{{ $_ := set $c "otlp-certificate" "/etc/kubestitch/export-tls/ca.crt" }}{{ end }}
{{- if .certKey }}
{{- $_ := set $c "otlp-client-certificate" "/etc/kubestitch/export-tls/tls.crt" }}
{{- $_ := set $c "otlp-client-key" "/etc/kubestitch/export-tls/tls.key" }}
{{- end }}
{{- end }}{{ end }}
{{- $_ := set $c "spool-max-bytes" (int64 $v.export.spoolMaxBytes) }}
{{- if $v.viewer.enabled }}{{ $_ := set $c "ui" (printf ":%d" (int $v.viewer.port)) }}{{ end }}
{{- $_ := set $c "store-retention-hours" (int $v.store.retentionHours) }}
{{- $_ := set $c "store-max-bytes" (int64 $v.store.maxBytes) }}
{{- $_ := set $c "admin-addr" (printf ":%d" (int $v.admin.port)) }}
{{- if $v.metrics.ownerAllow }}{{ $_ := set $c "metrics-owner-allow" $v.metrics.ownerAllow }}{{ end }}
{{- if $v.metrics.namespaceAllow }}{{ $_ := set $c "metrics-namespace-allow" $v.metrics.namespaceAllow }}{{ end }}
{{- if include "kubestitch.leaderElect" . }}
{{- $_ := set $c "leader-elect" true }}
{{- $_ := set $c "leader-election-namespace" .Release.Namespace }}
{{- $_ := set $c "leader-election-lease-name" (include "kubestitch.leaseName" .) }}
{{- end }}
{{- range $k, $val := $v.extraConfig }}
{{- if hasKey $c $k }}
{{- fail (printf "extraConfig.%s is set by the chart; use the matching chart value instead" $k) }}
{{- end }}
{{- $_ := set $c $k $val }}
{{- end }}
{{- toYaml $c }}
{{- end }}

{{/* registry/repository, then @digest (the exact image) or :tag (default: the chart's appVersion). */}}
{{- define "kubestitch.image" -}}
{{- $i := .Values.image }}
{{- with $i.registry }}{{ trimSuffix "/" . }}/{{ end }}{{ $i.repository }}
{{- if $i.digest }}@{{ $i.digest }}{{ else }}:{{ $i.tag | default .Chart.AppVersion }}{{ end }}
{{- end }}
