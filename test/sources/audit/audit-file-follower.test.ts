import { appendFile, copyFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AuditFileFollowerOptions,
  FileCheckpoint,
  MalformedAuditLine,
} from '../../../src/sources/audit/audit-file-follower.js';
import { AuditFileFollower } from '../../../src/sources/audit/audit-file-follower.js';

const line = (id: string): string =>
  JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: id,
    stage: 'ResponseComplete',
    verb: 'get',
  }) + '\n';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubestitch-follow-'));
  path = join(dir, 'audit.log');
});

const followers: AuditFileFollower[] = [];
afterEach(async () => {
  await Promise.all(followers.splice(0).map((f) => f.close()));
  await rm(dir, { recursive: true, force: true });
});

/** A follower recording what it delivers, reports and checkpoints. */
function follow(options: Partial<AuditFileFollowerOptions> = {}) {
  const seen: string[] = [];
  const problems: MalformedAuditLine[] = [];
  const saved: { last: FileCheckpoint | undefined } = { last: undefined };
  const follower = new AuditFileFollower({
    path,
    onEvents: async (events) => void seen.push(...events.map((e) => String(e.event['auditID']))),
    onMalformed: (problem) => void problems.push(problem),
    saveCheckpoint: async (checkpoint) => void (saved.last = checkpoint),
    ...options,
  });
  followers.push(follower);
  return { follower, seen, problems, saved };
}

describe('AuditFileFollower', () => {
  describe('pollOnce', () => {
    it('hands complete lines over in order and keeps a partial last line until its newline arrives', async () => {
      const { follower, seen } = follow();
      await follower.pollOnce(); // no file yet: nothing, no error
      await writeFile(path, line('a') + line('b') + line('c').slice(0, 20));
      await follower.pollOnce();
      expect(seen).toEqual(['a', 'b']);
      await appendFile(path, line('c').slice(20) + line('d'));
      await follower.pollOnce();
      expect(seen).toEqual(['a', 'b', 'c', 'd']);
    });

    it('joins lines and multi-byte characters cut by small reads', async () => {
      const { follower, seen } = follow({ readChunkBytes: 7 });
      await writeFile(path, line('ä-€-𝄞') + line('b'));
      await follower.pollOnce();
      expect(seen).toEqual(['ä-€-𝄞', 'b']);
    });

    it('reports malformed lines with their position and reason, skips them and goes on', async () => {
      const { follower, seen, problems } = follow({ maxLineBytes: 200 });
      const bad = '{"auditID": oops\n';
      const notEvent = '{"kind":"Pod"}\n';
      const long = `{"x":"${'y'.repeat(300)}"}\n`;
      await writeFile(path, line('a') + bad + notEvent + '\n' + long + line('b'));
      await follower.pollOnce();
      expect(seen).toEqual(['a', 'b']);
      expect(problems.map((p) => [p.position.line, p.position.offset, p.reason.split(':')[0]])).toEqual([
        [2, line('a').length, 'malformed JSON'],
        [3, line('a').length + bad.length, 'not an audit Event'],
        [5, line('a').length + bad.length + notEvent.length + 1, 'line longer than maxLineBytes'],
      ]);
      expect(problems[0]?.position.path).toBe(path);
      // The reason never quotes the line: it may hold confidential data.
      expect(problems[0]?.reason).toBe("malformed JSON: Unexpected token 'o'");
      expect(follower.stats()).toMatchObject({ linesRead: 6, eventsDelivered: 2, malformedLines: 3 });
    });

    it('finishes the old file after a rename rotation (including an unterminated last line), then reads the new one', async () => {
      const { follower, seen } = follow();
      await writeFile(path, line('a'));
      await follower.pollOnce();
      await appendFile(path, line('b') + line('c').trimEnd());
      await rename(path, `${path}.1`);
      await follower.pollOnce(); // old file renamed, no new file yet: keeps reading the old one
      expect(seen).toEqual(['a', 'b']);
      await writeFile(path, line('d'));
      await follower.pollOnce();
      expect(seen).toEqual(['a', 'b', 'c', 'd']);
      await appendFile(path, line('e'));
      await follower.pollOnce();
      expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(follower.stats().rotations).toBe(1);
    });

    it('starts over at 0 after a copytruncate rotation', async () => {
      const { follower, seen, saved } = follow();
      await writeFile(path, line('a') + line('b'));
      await follower.pollOnce();
      await copyFile(path, `${path}.1`);
      await truncate(path, 0);
      await appendFile(path, line('c'));
      await follower.pollOnce();
      expect(seen).toEqual(['a', 'b', 'c']);
      expect(follower.stats().truncations).toBe(1);
      expect(saved.last).toMatchObject({ offset: line('c').length, line: 1 });
    });

    it('offers the same lines again when the consumer fails, without moving the checkpoint', async () => {
      let fail = true;
      const delivered: string[] = [];
      const { follower, saved } = follow({
        onEvents: async (events) => {
          if (fail) throw new Error('intake full');
          delivered.push(...events.map((e) => e.id));
        },
      });
      await writeFile(path, line('a') + line('b'));
      await follower.pollOnce();
      expect(saved.last).toBeUndefined();
      fail = false;
      await follower.pollOnce();
      expect(delivered).toEqual(['a/ResponseComplete', 'b/ResponseComplete']);
      expect(saved.last?.offset).toBe(line('a').length + line('b').length);
      expect(follower.stats().deliveryFailures).toBe(1);
    });
  });

  describe('restart', () => {
    it('resumes from the checkpoint without re-reading', async () => {
      const first = follow();
      await writeFile(path, line('a') + line('b'));
      await first.follower.pollOnce();
      await first.follower.close();
      await appendFile(path, line('c'));
      const second = follow({ checkpoint: first.saved.last });
      await second.follower.pollOnce();
      expect(second.seen).toEqual(['c']);
      expect(second.saved.last?.line).toBe(3);
    });

    it('finds the checkpointed file after a rotation that happened while stopped', async () => {
      const first = follow();
      await writeFile(path, line('a'));
      await first.follower.pollOnce();
      await first.follower.close();
      await appendFile(path, line('b'));
      await rename(path, join(dir, 'audit-2024-05-01T10-00-00.000.log'));
      await writeFile(path, line('c'));
      const second = follow({ checkpoint: first.saved.last });
      await second.follower.pollOnce();
      expect(second.seen).toEqual(['b', 'c']);
    });

    it('skips what the file held on a first start with startAtEnd, including a partial line', async () => {
      await writeFile(path, line('old') + line('partial').slice(0, 10));
      const { follower, seen, problems } = follow({ startAtEnd: true });
      await follower.pollOnce();
      await appendFile(path, line('partial').slice(10) + line('new'));
      await follower.pollOnce();
      expect(seen).toEqual(['new']);
      expect(problems).toEqual([]);
    });
  });

  describe('start', () => {
    it('polls on the injected sleep until close()', async () => {
      const wakes: Array<() => void> = [];
      const sleep = (_ms: number, signal: AbortSignal): Promise<void> =>
        new Promise((resolve) => {
          wakes.push(resolve);
          signal.addEventListener('abort', () => resolve());
        });
      const { follower, seen } = follow({ sleep });
      follower.start();
      follower.start();
      await writeFile(path, line('a'));
      while (seen.length === 0) {
        wakes.shift()?.();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(seen).toEqual(['a']);
      await follower.close();
      await appendFile(path, line('b'));
      wakes.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen).toEqual(['a']);
    });
  });
});
