import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../live/support/live-harness.js';
import { killAllCli, spawnKubestitch } from '../support/cli-process.js';
import { OtlpHttpReceiver } from '../support/otlp-http-receiver.js';

const AUDIT_LOG = new URL('../../examples/rolling-update-audit/audit.log', import.meta.url).pathname;
const API_KEY = 'grafana-cloud-token-0123456789';

describe('kubestitch run exporting over OTLP/HTTP (process)', () => {
  const receiver = new OtlpHttpReceiver();
  afterEach(async () => {
    killAllCli();
    await receiver.stop();
    delete process.env['OTEL_EXPORTER_OTLP_HEADERS'];
  });

  it(
    'sends the spans of an audit log with the header from OTEL_EXPORTER_OTLP_HEADERS, naming but never logging it',
    { timeout: 60_000 },
    async () => {
      // prettier-ignore
      const base = await receiver.start();
      const dir = await mkdtemp(join(tmpdir(), 'ks-run-otlp-http-'));
      const auditLog = join(dir, 'audit.log');
      await copyFile(AUDIT_LOG, auditLog);
      // The child inherits it, as a pod gets the chart's secretKeyRef variable.
      process.env['OTEL_EXPORTER_OTLP_HEADERS'] = `authorization=Basic%20${API_KEY}`;
      const run = spawnKubestitch([
        ...['run', '--sources', 'audit', '--audit-log-path', auditLog, '--data-dir', join(dir, 'data')],
        ...['--otlp-endpoint', base, '--otlp-protocol', 'http/json', '--otlp-timeout', '5s'],
      ]);
      await until(() => receiver.requests.length > 0 || run.child.exitCode !== null, 'the first export', 45_000);
      expect(run.child.exitCode, run.stderr()).toBeNull();
      run.child.kill('SIGTERM');
      expect(await run.exit).toBe(0);

      expect(receiver.requests.length).toBeGreaterThan(0);
      for (const r of receiver.requests) {
        expect(r.path).toBe('/v1/traces');
        expect(r.headers['authorization']).toBe(`Basic ${API_KEY}`);
        expect(r.headers['content-type']).toBe('application/json');
      }
      const spans = receiver.requests.flatMap((r) => r.spans);
      expect(spans.some((s) => s.kind === 'client' && s.name.startsWith('patch deployments'))).toBe(true);
      expect(run.stderr()).toContain(`"export":"http/json ${base}/v1/traces (compression gzip, timeout 5000 ms, headers authorization)"`); // prettier-ignore
      expect(run.stderr()).not.toContain(API_KEY);
    },
  );
});
