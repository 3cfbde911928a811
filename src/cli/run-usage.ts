// `kubestitch run --help`, apart from run-command.ts so that the CLI's entry point can show it
// without loading the live service (its Kubernetes client alone is 75 MB and 2.8 s to load).
export const RUN_USAGE = `Usage: kubestitch run [--config FILE] [options]

The long-running service: watches the cluster (objects and Events), takes audit events (webhook
and/or audit log file) and real component spans (OTLP), and exports the traces — durably: every
input is journaled under --data-dir first, so a restart continues open operations.

Sources and cluster:
  --sources LIST            watch,events,audit,otlp (default: watch,events, plus audit/otlp when
                            their options are given)
  --kubeconfig FILE         default: in-cluster service account, else $KUBECONFIG / ~/.kube/config
  --context NAME            kubeconfig context
  --watch-kinds LIST        more kinds: resource.version[.group][:metadata], e.g. services.v1,
                            ingresses.v1.networking.k8s.io, certificates.v1.cert-manager.io:metadata
  --namespaces LIST         watch only these namespaces (Nodes stay cluster-wide)
  --exclude-namespaces LIST never watch these namespaces
  --label-selector SEL      label selector for the watched workloads (not Nodes or Events),
                            e.g. app.kubernetes.io/part-of=shop
  --cluster NAME            k8s.cluster.name of every span (default "default")
  --data-dir DIR            journal, checkpoints, spool, embedded store (default ./.kubestitch-data)
Outputs:
  --otlp-endpoint URL       export over OTLP (spooled under --data-dir while it is down); default
                            $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else $OTEL_EXPORTER_OTLP_ENDPOINT
  --otlp-protocol P         grpc (default), http/protobuf or http/json; HTTP appends /v1/traces
                            to a base URL
  --otlp-header KEY=VALUE   sent with every export (repeatable), e.g. an API key; values never logged
  --otlp-compression C      gzip (default) or none
  --otlp-timeout D          one export request's deadline: 10s (default), 500ms, or milliseconds
  --otlp-certificate FILE   CA (PEM) verifying an https:// backend instead of the system's
  --otlp-client-certificate FILE, --otlp-client-key FILE   client certificate and key (mTLS)
  --otlp-insecure           a gRPC endpoint without a scheme (host:port) is plaintext, not TLS
                            (a flag wins over OTEL_EXPORTER_OTLP_TRACES_<X>, then OTEL_EXPORTER_OTLP_<X>)
  --spool-max-bytes N       export spool bound (default 1 GiB; beyond it the oldest are dropped)
  --out FILE                append OTLP/JSON lines
  --ui [HOST]:PORT          serve the viewer + Jaeger-compatible API from the embedded store
                            (the default output, on 127.0.0.1:16686, without --out/--otlp-endpoint)
  --store-retention-hours N, --store-max-bytes N   embedded store retention (72 h, 2 GiB)
  --admin-addr [HOST]:PORT  /metrics, /healthz, /readyz
  --metrics-namespace-allow LIST, --metrics-owner-allow LIST   globs of the namespaces (default
                            all) and owners (namespace/name; default none) kept as metric labels,
                            the rest counted as "other"
Audit:
  --audit-webhook-addr [HOST]:PORT, --audit-webhook-path PATH (default /audit)
  --audit-tls-cert FILE, --audit-tls-key FILE, --audit-client-ca FILE (mTLS)
  --audit-webhook-token-file FILE, --audit-webhook-insecure-http, --audit-log-path FILE
Real spans:
  --otlp-grpc-addr [HOST]:PORT (default 127.0.0.1:4317), --otlp-http-addr [HOST]:PORT
                            (default 127.0.0.1:4318); ":PORT" listens on all interfaces
  --otlp-token-file FILE    bearer tokens the receivers ask for, one per line
  --otlp-tls-cert FILE, --otlp-tls-key FILE, --otlp-client-ca FILE (mTLS: a certificate it signed,
                            or a token when --otlp-token-file is given too)
  --otlp-forward-endpoint URL   OTLP/gRPC receiver real spans are forwarded to after stitching
                            (default: the gRPC export when it has no headers, else through the export)
  --stitch reparent|link
  --adoption-window D       how long an operation waits for an owner that may still arrive, and a
                            finished span before it leaves (ADR 0004/0005): 15s (default); with
                            1 s webhook batches 5s is enough
  --redact-annotations LIST   more annotations to drop besides the defaults (last-applied and
                            credential-like names): names or /regex/flags, comma-separated
High availability:
  --leader-elect, --leader-election-namespace NS, --leader-election-lease-name NAME,
  --leader-election-identity ID   (default: $POD_NAME, else the host name)
  --shutdown-deadline-seconds N   SIGTERM: how long to drain the export (default 20)
  -h, --help                show this help

Exit status: 0 success (stopped by SIGTERM/Ctrl-C), 1 runtime failure (cannot start, lost the
leader Lease), 2 usage error (a bad flag, config file or kubeconfig).
`;
