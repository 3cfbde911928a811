import { createHash } from 'node:crypto';

/** What a registry knows about an image reference. */
export interface ImageInfo {
  /** As written in the pod spec: `nginx:1.26`. */
  readonly ref: string;
  /** Fully qualified, as containerd reports it: `docker.io/library/nginx:1.26`. */
  readonly qualified: string;
  /** `docker.io/library/nginx@sha256:…`. */
  readonly imageId: string;
  readonly sizeBytes: number;
  /** False for a tag the registry does not have (ErrImagePull). */
  readonly exists: boolean;
}

// Compressed sizes in the range containerd reports for these images.
const SIZES: Readonly<Record<string, number>> = {
  'nginx:1.25': 70_544_213,
  'nginx:1.26': 72_938_164,
  'busybox:1.36': 2_159_421,
  'postgres:16.4': 157_602_714,
  'postgres:16.6': 158_441_096,
  'quay.io/prometheus/node-exporter:v1.8.2': 11_742_385,
  'quay.io/prometheus/node-exporter:v1.9.0': 12_070_811,
  'ghcr.io/acme/report-builder:3.2.0': 48_210_337,
  'ghcr.io/acme/shop-migrations:1.14.0': 61_877_402,
  'ghcr.io/acme/search:2.8.1': 96_512_870,
  'ghcr.io/acme/analytics-worker:5.0.3': 211_408_112,
};

/** Normalizes a reference the way containerd does (`nginx:1.26` → `docker.io/library/nginx:1.26`). */
export function qualify(ref: string): string {
  const first = ref.split('/')[0] ?? '';
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':'));
  if (hasRegistry) return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

/** Registry facts for `ref`; unknown tags do not exist (so a typo gives ErrImagePull). */
export function imageInfo(ref: string): ImageInfo {
  const qualified = qualify(ref);
  const repo = qualified.slice(0, qualified.lastIndexOf(':'));
  const digest = createHash('sha256').update(`kubestitch-sim-image/${qualified}`).digest('hex');
  const size = SIZES[ref];
  return { ref, qualified, imageId: `${repo}@sha256:${digest}`, sizeBytes: size ?? 0, exists: size !== undefined };
}

/** The error containerd returns for a tag that is not in the registry. */
export function notFoundError(ref: string): string {
  const q = qualify(ref);
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${q}": failed to resolve reference "${q}": ${q}: not found`;
}
