import { describe, expect, it } from 'vitest';
import type { KubeEvent } from '../../src/model/records.js';
import { normalizeEvent } from '../../src/sources/event-normalize.js';
import {
  containerOfFieldPath,
  isImageAlreadyPresent,
  placeEvent,
  pulledDurationMs,
} from '../../src/synth/pod-event-placement.js';
import { CORPUS, readCorpusJson } from '../support/corpus.js';

function podEvent(reason: string, note: string, fieldPath = ''): KubeEvent {
  return {
    key: `${reason}-${fieldPath}`,
    namespace: 'shop',
    name: 'web-0.17c1',
    regarding: { kind: 'Pod', apiVersion: 'v1', namespace: 'shop', name: 'web-0', uid: 'pod-1', fieldPath },
    reason,
    type: 'Normal',
    note,
    action: '',
    reportingController: 'kubelet',
    reportingInstance: 'node-1',
    firstMs: 0,
    lastMs: 0,
    count: 1,
  };
}

const APP = 'spec.containers{app}';

describe('pod-event-placement', () => {
  describe('placeEvent', () => {
    it.each([
      ['Scheduled', 'Successfully assigned shop/web-0 to node-1', ''],
      ['FailedScheduling', '0/3 nodes are available: 3 Insufficient cpu.', ''],
      ['Preempted', 'Preempted by pod 1234 on node node-1', ''],
      ['TriggeredScaleUp', 'pod triggered scale-up: [{pool 1->2 (max: 5)}]', ''],
      ['NotTriggerScaleUp', "pod didn't trigger scale-up", ''],
    ])('puts scheduler event %s on the schedule phase', (reason, note, fieldPath) => {
      expect(placeEvent(podEvent(reason, note, fieldPath))).toEqual({ phase: 'schedule' });
    });

    it.each([
      ['Pulling', 'Pulling image "nginx:1.25"'],
      ['Pulled', 'Successfully pulled image "nginx:1.25" in 3.212s (3.212s including waiting)'],
      ['Failed', 'Failed to pull image "nginx:nope": rpc error: code = NotFound'],
      ['Failed', 'Error: ErrImagePull'],
      ['ErrImagePull', 'pull access denied'],
      ['BackOff', 'Back-off pulling image "nginx:nope"'],
      ['InspectFailed', 'Failed to apply default image tag'],
      ['ErrImageNeverPull', 'Container image "x" is not present with pull policy of Never'],
      ['Failed', 'Error: ImagePullBackOff'],
      ['Failed', 'Error: InvalidImageName'],
      ['Failed', 'Error: ImageInspectError'],
      ['Failed', 'Failed to inspect image "nginx:1.25": rpc error: code = Unknown'],
    ])('puts image event %s (%s) on the pull phase of its container', (reason, note) => {
      expect(placeEvent(podEvent(reason, note, APP))).toEqual({ phase: 'pull', container: 'app' });
    });

    it.each([
      ['Created', 'Created container app'],
      ['Started', 'Started container app'],
      ['Pulled', 'Container image "nginx:1.25" already present on machine'],
    ])('puts %s (%s) on the start phase of its container', (reason, note) => {
      expect(placeEvent(podEvent(reason, note, APP))).toEqual({ phase: 'start', container: 'app' });
    });

    it('finds init and ephemeral containers by their fieldPath', () => {
      expect(placeEvent(podEvent('Pulling', 'Pulling image "busybox"', 'spec.initContainers{init-db}'))).toEqual({
        phase: 'pull',
        container: 'init-db',
      });
      expect(
        placeEvent(podEvent('Started', 'Started container debugger', 'spec.ephemeralContainers{debugger}')),
      ).toEqual({
        phase: 'start',
        container: 'debugger',
      });
    });

    it('puts readiness probe failures on the readiness phase', () => {
      expect(
        placeEvent(podEvent('Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', APP)),
      ).toEqual({
        phase: 'readiness',
      });
    });

    it.each([
      ['Unhealthy', 'Liveness probe failed: connection refused', APP],
      ['BackOff', 'Back-off restarting failed container app in pod web-0_shop(pod-1)', APP],
      [
        'Failed',
        'Error: container has runAsNonRoot and image will run as root (pod: "web-0_shop(pod-1)", container: app)',
        APP,
      ],
      [
        'Failed',
        'Error: container has runAsNonRoot and image has non-numeric user (nginx), cannot verify user is non-root',
        APP,
      ],
      ['Failed', 'Error: configmap "cfg" not found', APP],
      ['Killing', 'Stopping container app', APP],
      ['Pulled', 'Successfully pulled image "nginx"', ''],
      ['FailedMount', 'MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found', ''],
      ['SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.', ''],
    ])('puts %s (%s) on the startup span itself', (reason, note, fieldPath) => {
      expect(placeEvent(podEvent(reason, note, fieldPath))).toEqual({ phase: 'startup' });
    });

    it('places a real kubelet Pulled event on the pull phase of container c1', async () => {
      const ev = normalizeEvent(await readCorpusJson(`${CORPUS.k9s}ev.json`));
      if (typeof ev === 'string') throw new Error(ev);
      expect(placeEvent(ev)).toEqual({ phase: 'pull', container: 'c1' });
      expect(pulledDurationMs(ev.note)).toBeUndefined();
    });
  });

  describe('pulledDurationMs', () => {
    it.each([
      ['Successfully pulled image "nginx:1.25" in 3.212s (3.212s including waiting)', 3212],
      ['Successfully pulled image "registry.k8s.io/pause:3.9" in 1m2.5s (1m2.5s including waiting)', 62_500],
      ['Successfully pulled image "nginx" in 850ms (850ms including waiting). Image size: 70 bytes.', 850],
      ['Successfully pulled image "nginx" in 1h2m3s', 3_723_000],
      ['Successfully pulled image "nginx" in 2m0s', 120_000],
      ['Successfully pulled image "nginx" in 500µs', 0.5],
      ['Successfully pulled image "nginx" in 250us', 0.25],
    ])('reads %s as %d ms', (note, expected) => {
      expect(pulledDurationMs(note)).toBeCloseTo(expected, 9);
    });

    it.each([
      'Container image "nginx:1.25" already present on machine',
      'Successfully pulled image "nginx:1.25"',
      'Pulling image "nginx:1.25"',
      '',
    ])('returns undefined for %j', (note) => {
      expect(pulledDurationMs(note)).toBeUndefined();
    });
  });

  describe('containerOfFieldPath', () => {
    it('returns the container name or undefined', () => {
      expect(containerOfFieldPath('spec.containers{nginx}')).toBe('nginx');
      expect(containerOfFieldPath('spec.initContainers{init}')).toBe('init');
      expect(containerOfFieldPath('spec.containers')).toBeUndefined();
      expect(containerOfFieldPath('')).toBeUndefined();
      expect(containerOfFieldPath('metadata.name')).toBeUndefined();
    });
  });

  describe('isImageAlreadyPresent', () => {
    it('is true only for Pulled events about a cached image', () => {
      expect(isImageAlreadyPresent(podEvent('Pulled', 'Container image "nginx" already present on machine', APP))).toBe(
        true,
      );
      expect(isImageAlreadyPresent(podEvent('Pulled', 'Successfully pulled image "nginx" in 1s', APP))).toBe(false);
      expect(isImageAlreadyPresent(podEvent('Created', 'already present on machine', APP))).toBe(false);
    });
  });
});
