/**
 * `kubestitch run --leader-elect` against the real kube-apiserver: the Lease it holds was written
 * and renewed by client-node's CoordinationV1Api (src/live/lease-client.ts) and accepted — the
 * apiserver refuses MicroTime stamps without six fractional digits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ART } from '../support/artifacts.js';

interface Lease {
  readonly spec: {
    readonly holderIdentity?: string;
    readonly leaseDurationSeconds?: number;
    readonly acquireTime?: string;
    readonly renewTime?: string;
  };
}

it('holds the Lease as e2e-kubestitch, renewed with MicroTime stamps the apiserver accepted', () => {
  const lease = JSON.parse(readFileSync(join(ART, 'lease.json'), 'utf8')) as Lease;
  expect(lease.spec.holderIdentity).toBe('e2e-kubestitch');
  expect(lease.spec.leaseDurationSeconds).toBe(15);
  const micro = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
  expect(lease.spec.acquireTime).toMatch(micro);
  expect(lease.spec.renewTime).toMatch(micro);
  // Renewed (every 2 s) through the whole run, not only written once at the start.
  const renewed = Date.parse(lease.spec.renewTime ?? '') - Date.parse(lease.spec.acquireTime ?? '');
  expect(renewed).toBeGreaterThan(30_000);
});
