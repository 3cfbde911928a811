/**
 * Whether resourceVersion `rv` is older than `than`. resourceVersions are opaque, but etcd's are
 * decimal revisions: only those are compared (anything else, or a missing one, is never older).
 */
export function isOlderResourceVersion(rv: string | undefined, than: string | undefined): boolean {
  return rv !== undefined && than !== undefined && isRevision(rv) && isRevision(than) && Number(rv) < Number(than);
}

function isRevision(rv: string): boolean {
  return /^\d{1,15}$/.test(rv);
}
