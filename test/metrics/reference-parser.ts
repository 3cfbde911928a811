/**
 * Parses an exposition with the Prometheus project's reference Python parsers
 * (`prometheus_client.openmetrics.parser` and `prometheus_client.parser`) and returns the families
 * as JSON. A missing parser is an error, never a skip: CI installs python3-prometheus-client.
 */
import { spawnSync } from 'node:child_process';

export interface ParsedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly exemplar: { readonly labels: Readonly<Record<string, string>>; readonly value: number } | null;
}

export interface ParsedFamily {
  readonly name: string;
  readonly type: string;
  readonly samples: readonly ParsedSample[];
}

const SCRIPT = `
import json, math, sys
fmt = sys.argv[1]
if fmt == 'openmetrics':
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
def num(v):
    return None if (isinstance(v, float) and (math.isnan(v) or math.isinf(v))) else v
out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    samples = []
    for s in fam.samples:
        ex = getattr(s, 'exemplar', None)
        samples.append({'name': s.name, 'labels': s.labels, 'value': num(s.value),
                        'exemplar': None if ex is None else {'labels': ex.labels, 'value': ex.value}})
    out.append({'name': fam.name, 'type': fam.type, 'samples': samples})
json.dump(out, sys.stdout)
`;

// The first python3 on PATH may be a pyenv or venv interpreter without the Debian package.
const CANDIDATES = [process.env['KUBESTITCH_PYTHON'], 'python3', '/usr/bin/python3'].filter(
  (p): p is string => p !== undefined && p !== '',
);

let chosen: string | undefined;

function python(): string {
  if (chosen !== undefined) return chosen;
  for (const candidate of CANDIDATES) {
    const probe = spawnSync(candidate, ['-c', 'import prometheus_client.openmetrics.parser'], { encoding: 'utf8' });
    if (probe.status === 0) return (chosen = candidate);
  }
  throw new Error(
    `no python3 with prometheus_client found (tried ${CANDIDATES.join(', ')}): ` +
      'install python3-prometheus-client (apt) or set KUBESTITCH_PYTHON',
  );
}

/** Parses `text`; throws with the parser's own message when the exposition is invalid. */
export function parseExposition(text: string, format: 'openmetrics' | 'prometheus'): ParsedFamily[] {
  const r = spawnSync(python(), ['-c', SCRIPT, format], { input: text, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${format} reference parser rejected the exposition:\n${r.stderr}`);
  return JSON.parse(r.stdout) as ParsedFamily[];
}
