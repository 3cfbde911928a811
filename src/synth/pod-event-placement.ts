import type { KubeEvent } from '../model/records.js';

/** Which phase span of a pod startup an Event belongs on. */
export type Placement =
  | { readonly phase: 'schedule' }
  | { readonly phase: 'pull'; readonly container: string }
  | { readonly phase: 'start'; readonly container: string }
  | { readonly phase: 'readiness' }
  | { readonly phase: 'startup' };

const SCHEDULER_REASONS: ReadonlySet<string> = new Set([
  'Scheduled',
  'FailedScheduling',
  'Preempted',
  'NotTriggerScaleUp',
  'TriggeredScaleUp',
]);

/** `spec.containers{nginx}` / `spec.initContainers{init}` → `nginx` / `init`. */
export function containerOfFieldPath(fieldPath: string): string | undefined {
  const m = /^spec\.(?:init|ephemeral)?[cC]ontainers\{([^}]+)\}$/.exec(fieldPath);
  return m?.[1];
}

/** True for kubelet's "Container image … already present on machine". */
export function isImageAlreadyPresent(event: KubeEvent): boolean {
  return event.reason === 'Pulled' && event.note.includes('already present on machine');
}

/**
 * Places an Event regarding a pod onto the startup phase it documents, by reason and by the
 * container named in its fieldPath (kubelet's image and container events carry one).
 */
export function placeEvent(event: KubeEvent): Placement {
  if (SCHEDULER_REASONS.has(event.reason)) return { phase: 'schedule' };
  const container = containerOfFieldPath(event.regarding.fieldPath);
  if (container !== undefined) {
    if (isPullEvent(event)) return { phase: 'pull', container };
    if (event.reason === 'Created' || event.reason === 'Started' || isImageAlreadyPresent(event)) {
      return { phase: 'start', container };
    }
  }
  if (event.reason === 'Unhealthy' && event.note.startsWith('Readiness probe')) return { phase: 'readiness' };
  return { phase: 'startup' };
}

function isPullEvent(event: KubeEvent): boolean {
  switch (event.reason) {
    case 'Pulling':
    case 'ErrImagePull':
    case 'ImagePullBackOff':
    case 'ErrImageNeverPull':
    case 'InspectFailed':
      return true;
    case 'Pulled':
      return !isImageAlreadyPresent(event);
    case 'Failed':
      // Only image errors: "image" alone also matches kubelet's config errors such as
      // "Error: container has runAsNonRoot and image will run as root", which are not pulls.
      return /pull|ImageInspectError|InvalidImageName|inspect image/i.test(event.note);
    case 'BackOff':
      return event.note.startsWith('Back-off pulling image');
    default:
      return false;
  }
}

/**
 * The pull duration kubelet measured, from `Successfully pulled image "x" in 3.212s (…)`
 * (also `in 1m2.5s`, `in 850ms`). Undefined when the note has none.
 */
export function pulledDurationMs(note: string): number | undefined {
  const m = /pulled image "[^"]*" in ((?:\d+h)?(?:\d+m(?!s))?(?:[\d.]+(?:ms|s|µs|us))?)/.exec(note);
  const text = m?.[1];
  if (text === undefined || text === '') return undefined;
  let total = 0;
  for (const part of text.matchAll(/([\d.]+)(h|ms|m|s|µs|us)/g)) {
    const value = Number(part[1]);
    const unit = part[2];
    if (Number.isNaN(value)) return undefined;
    total +=
      unit === 'h'
        ? value * 3_600_000
        : unit === 'm'
          ? value * 60_000
          : unit === 's'
            ? value * 1000
            : unit === 'ms'
              ? value
              : value / 1000;
  }
  return total;
}
