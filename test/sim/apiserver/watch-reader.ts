/** A test-side watch client on plain fetch: reads one JSON event per line, exposes the raw response. */
export interface WatchEvent {
  readonly type: string;
  readonly object: Record<string, unknown> & { metadata?: Record<string, unknown> };
}

export interface WatchReader {
  readonly response: Response;
  /** The next event; rejects after `timeoutMs` or when the stream ends/breaks first. */
  next(timeoutMs?: number): Promise<WatchEvent>;
  /** Events until one matches, returning all read (the match last). */
  until(pred: (e: WatchEvent) => boolean, timeoutMs?: number): Promise<WatchEvent[]>;
  /** Resolves 'end' on a clean end of the body, 'error' when the connection broke. */
  readonly ended: Promise<'end' | 'error'>;
  close(): void;
}

export async function openWatch(url: string, headers: Record<string, string> = {}): Promise<WatchReader> {
  const ac = new AbortController();
  const response = await fetch(url, { headers, signal: ac.signal });
  const queue: WatchEvent[] = [];
  const waiters: { resolve: (e: WatchEvent) => void; reject: (e: Error) => void }[] = [];
  let finished: 'end' | 'error' | undefined;
  let endResolve: (v: 'end' | 'error') => void = () => undefined;
  const ended = new Promise<'end' | 'error'>((resolve) => (endResolve = resolve));
  const finish = (how: 'end' | 'error'): void => {
    if (finished !== undefined) return;
    finished = how;
    endResolve(how);
    for (const w of waiters.splice(0)) w.reject(new Error(`watch stream ${how === 'end' ? 'ended' : 'broke'}`));
  };
  const pump = async (): Promise<void> => {
    if (response.body === null) return finish('end');
    const reader = response.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim() === '') continue;
          const ev = JSON.parse(line) as WatchEvent;
          const w = waiters.shift();
          if (w !== undefined) w.resolve(ev);
          else queue.push(ev);
        }
      }
      finish('end');
    } catch {
      finish('error');
    }
  };
  void pump();
  const next = (timeoutMs = 5000): Promise<WatchEvent> => {
    const ready = queue.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (finished !== undefined)
      return Promise.reject(new Error(`watch stream ${finished === 'end' ? 'ended' : 'broke'}`));
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (e: WatchEvent) => {
          clearTimeout(t);
          resolve(e);
        },
        reject: (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`no watch event within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.push(w);
    });
  };
  return {
    response,
    next,
    async until(pred, timeoutMs = 5000) {
      const seen: WatchEvent[] = [];
      for (;;) {
        const e = await next(timeoutMs);
        seen.push(e);
        if (pred(e)) return seen;
      }
    },
    ended,
    close: () => ac.abort(),
  };
}

/** metadata.resourceVersion of an event's object. */
export function rvOf(e: { object: { metadata?: Record<string, unknown> } }): string {
  return String(e.object.metadata?.resourceVersion);
}

/** A pod object as a test feeds it. */
export function pod(name: string, namespace = 'shop', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      labels: { app: 'web' },
      creationTimestamp: '2026-03-01T10:00:00Z',
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'nginx:1.25' }] },
    status: { phase: 'Running' },
    ...extra,
  };
}
