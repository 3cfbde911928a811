/** Exit status, documented once here and in the README. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const EXIT_TEXT = 'Exit status: 0 success, 1 runtime failure, 2 usage error.\n';

export const GLOBAL_USAGE = `kubestitch — traces of Kubernetes controller work, as OTLP

Usage: kubestitch <command> [arguments] [flags]

Commands:
  replay <dir>          Turn a recording directory into traces (OTLP file, OTLP export, store, viewer)
  trace <kind>/<name>   Show one object's operations as a waterfall in the terminal
  run                   The live service: watch the cluster and export traces until SIGTERM
  record <dir>          Capture a live cluster's watch events and Events into a recording
  serve --data-dir DIR  Serve the viewer and Jaeger-compatible API of an embedded store
  help [command]        Show this help, or one command's
  version               Print the version

Use 'kubestitch <command> --help' for a command's flags.
${EXIT_TEXT}`;

const REPLAY_USAGE = `Usage: kubestitch replay <dir> [flags]

Reads a recording directory (watch.jsonl, events.jsonl, audit.log, spans.jsonl) and exports its
traces, with the real component spans stitched in. Without an output it prints a summary:
operations by kind and outcome and the five slowest.

Flags:
  --out FILE            write OTLP/JSON lines (Collector file-exporter format); replaces FILE
  --otlp-endpoint URL   export over OTLP, e.g. http://localhost:4317 (default: the
                        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT variable)
  --otlp-protocol P     grpc (default), http/protobuf or http/json (HTTP appends /v1/traces to a base URL)
  --otlp-header K=V     a header sent with every export request, e.g. an API key (repeatable)
  --otlp-compression C  gzip (default) or none
  --otlp-timeout D      deadline of one export request: 10s (default), 500ms, or milliseconds
  --otlp-certificate FILE  CA (PEM) that verifies an https:// backend instead of the system's
  --otlp-client-certificate FILE, --otlp-client-key FILE   client certificate and key (mTLS)
  --otlp-insecure       a gRPC endpoint given without a scheme (host:port) is plaintext, not TLS
  --cluster NAME        k8s.cluster.name of every span (default "default")
  --stitch MODE         how real spans join the traces: reparent (default) or link
  --stitch-hold-ms MS   how long a real span waits for its audit record (default 10000)
  --adoption-window D   how long an operation waits for an owner that may still arrive before it
                        becomes its own root: 15s (default), 10s, 5000ms; 0 places at once
  --data-dir DIR        also store the traces in DIR's embedded trace store
  --ui [HOST]:PORT      then serve the viewer and query API until Ctrl-C (in memory without --data-dir)
  --redact-annotations LIST   more annotations to drop besides the defaults: names or /regex/flags,
                        comma-separated
  -h, --help            show this help

Example:
  kubestitch replay examples/rolling-update --out spans.jsonl

${EXIT_TEXT}`;

const SERVE_USAGE = `Usage: kubestitch serve --data-dir DIR [--ui [HOST]:PORT]

Serves the embedded trace store that 'kubestitch run' or 'kubestitch replay --data-dir' wrote: the
web viewer and a Jaeger-compatible query API (Grafana's Jaeger data source works), until Ctrl-C.
A directory that holds no store is refused (nothing is created).

Flags:
  --data-dir DIR        the data directory (required)
  --ui [HOST]:PORT      listen address (default 127.0.0.1:16686)
  -h, --help            show this help

${EXIT_TEXT}`;

export const RECORD_USAGE = `Usage: kubestitch record <dir> [--kubeconfig FILE] [--context NAME] [--watch-kinds LIST]
                        [--namespaces LIST] [--exclude-namespaces LIST] [--label-selector SEL]

Captures the cluster's objects (the default kinds plus --watch-kinds) and Events into <dir>
(watch.jsonl, events.jsonl, each line with its receive time) until Ctrl-C / SIGTERM. Files that
exist are appended to. Secret data and ConfigMap values are never written; of managedFields
only who wrote, how, when and whether it touched spec (no field names).
Replay it with: kubestitch replay <dir>

Flags:
  --kubeconfig FILE     default: $KUBECONFIG, else ~/.kube/config
  --context NAME        kubeconfig context
  --watch-kinds LIST    more kinds: resource.version[.group][:metadata], comma-separated
  --namespaces LIST     record only these namespaces (Nodes stay cluster-wide)
  --exclude-namespaces LIST   never record these namespaces
  --label-selector SEL  label selector for the workloads (not Nodes or Events)
  --redact-annotations LIST   more annotations to drop besides the defaults: names or /regex/flags,
                        comma-separated
  -h, --help            show this help

${EXIT_TEXT}`;

export const TRACE_USAGE = `Usage: kubestitch trace <kind>/<name> [-n NAMESPACE] (--from DIR | --data-dir DIR | --server URL)

Prints the operations of one Kubernetes object as a waterfall: each span's name, actor, offset,
duration, a bar, its outcome; the critical path is marked with *, and the longest phase of each
pod and the waits between steps are listed under it. The object is named as kubectl does:
deploy/web, deployment/web, "deployments web", pod/web-7c9-x, sts/db.

Flags:
  -n, --namespace NS    the object's namespace (default: any)
  --from DIR            replay this recording directory in memory
  --data-dir DIR        read the embedded trace store of this data directory
  --server URL          ask a running viewer's query API, e.g. http://127.0.0.1:16686
  --cluster NAME        with --from: k8s.cluster.name (default "default")
  --json                print the spans as JSON (for scripts)
  -h, --help            show this help

Example:
  kubestitch trace deploy/web -n shop --from examples/rolling-update

${EXIT_TEXT}`;

const HELP_USAGE = `Usage: kubestitch help [command]

Prints the list of commands, or the help of one command (the same as 'kubestitch <command> --help').
`;

const VERSION_USAGE = `Usage: kubestitch version

Prints the version of kubestitch.
`;

/** The help text of each command; `run`'s lives with its options in run-command.ts. */
export const COMMAND_USAGE: Readonly<Record<string, string>> = {
  replay: REPLAY_USAGE,
  serve: SERVE_USAGE,
  record: RECORD_USAGE,
  trace: TRACE_USAGE,
  help: HELP_USAGE,
  version: VERSION_USAGE,
};

/** The kubectl-style usage error: one line naming the problem, one pointing at the help. */
export function usageErrorText(command: string | undefined, reason: string): string {
  const who = command === undefined ? 'kubestitch' : `kubestitch ${command}`;
  return `${who}: ${reason}\nSee '${who} --help'.\n`;
}
