import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { JsonObject } from '../../model/kube-json.js';
import type { AuditLogger } from './audit-logger.js';
import { checkAuditEvent, describeJsonError } from './audit-entry.js';
import { RejectionCounts } from '../input-boundary.js';
import { byteAt, findByInode, isNotFound, statOrUndefined } from './file-probe.js';
import { LineSplitter } from './line-splitter.js';
import { expandAuditValue } from './managed-formats.js';
import type { SplitItem } from './line-splitter.js';

/** Where to resume: the file (by inode) and the byte offset after the last consumed line. */
export interface FileCheckpoint {
  readonly inode: number;
  readonly offset: number;
  /** Lines consumed before `offset` (for positions in reports). */
  readonly line: number;
}

/**
 * A line's place: the file it was read from (the followed path, or the rotated backup a restart
 * resumed in), its inode, 1-based line number (counted from where reading began) and byte offset.
 */
export interface LinePosition {
  readonly path: string;
  readonly inode: number;
  readonly line: number;
  readonly offset: number;
}

export interface FollowedAuditEvent {
  readonly event: JsonObject;
  /** `auditID + '/' + stage`. */
  readonly id: string;
  readonly position: LinePosition;
}

export interface MalformedAuditLine {
  readonly position: LinePosition;
  readonly reason: string;
}

export interface AuditFileFollowerOptions {
  /** The live audit log (`--audit-log-path`). */
  readonly path: string;
  /**
   * Receives each read's events in file order. The checkpoint advances only after it resolves; on
   * rejection the same lines are offered again on the next poll (so store them idempotently).
   */
  readonly onEvents: (events: readonly FollowedAuditEvent[]) => Promise<void>;
  /** Told about each line that is not a JSON audit Event; the line is skipped. */
  readonly onMalformed?: (problem: MalformedAuditLine) => void;
  /** Where the previous run stopped. */
  readonly checkpoint?: FileCheckpoint;
  /** Persists progress after every delivered read; a rejection is logged and retried next time. */
  readonly saveCheckpoint?: (checkpoint: FileCheckpoint) => Promise<void>;
  /** Without a checkpoint, skip what the file already holds. Default false (read it all). */
  readonly startAtEnd?: boolean;
  /** Pause between polls. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Longer lines are skipped and reported. Default 16 MiB. */
  readonly maxLineBytes?: number;
  /** Bytes per read (and so at most per `onEvents` call, plus one held line). Default 1 MiB. */
  readonly readChunkBytes?: number;
  /** Injected pause; must settle (resolve or reject) when `signal` aborts. Default: unref'ed timer. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly logger?: AuditLogger;
}

export interface AuditFileFollowerStats {
  readonly linesRead: number;
  readonly eventsDelivered: number;
  readonly malformedLines: number;
  /** The malformed lines by reason (input-boundary's reasonKey: `too deep`, `malformed JSON`, …). */
  readonly rejected: Readonly<Record<string, number>>;
  readonly rotations: number;
  readonly truncations: number;
  readonly deliveryFailures: number;
}

interface OpenFile {
  readonly handle: FileHandle;
  /** The name it was opened under (a rotated backup when resuming into one). */
  readonly path: string;
  readonly inode: number;
  line: number;
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> => delay(ms, undefined, { signal, ref: false });

/**
 * Follows a kube-apiserver JSON-lines audit log by polling (fs.watch misses events on network and
 * overlay filesystems). Each poll: detect copytruncate (the open file shrank: restart at 0), read
 * the open file to its end (complete lines only; a partial last line waits for its newline), then
 * detect rename rotation (the path names another inode: the old file has just been read to its
 * end, its unterminated tail is taken as a last line, then the new file is followed from 0).
 *
 * Resume: the checkpoint's inode is looked up at the path, else among the files next to it (the
 * rotated backup), and reading continues at its offset; an unknown inode restarts at the current
 * file's start. Limits: copytruncate loses lines written between the last poll and the truncation,
 * and a file refilled past the old offset before a poll looks unchanged.
 */
export class AuditFileFollower {
  readonly #options: AuditFileFollowerOptions;
  readonly #splitter: LineSplitter;
  readonly #buffer: Buffer;
  readonly #abort = new AbortController();
  #file: OpenFile | undefined;
  #resumeFrom: FileCheckpoint | undefined;
  #firstOpen = true;
  #polling: Promise<void> = Promise.resolve();
  #loop: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  readonly #rejected = new RejectionCounts();
  #stats = { linesRead: 0, eventsDelivered: 0, malformedLines: 0, rotations: 0, truncations: 0, deliveryFailures: 0 };

  constructor(options: AuditFileFollowerOptions) {
    this.#options = options;
    this.#splitter = new LineSplitter(options.maxLineBytes ?? 16 * 1024 * 1024);
    this.#buffer = Buffer.alloc(options.readChunkBytes ?? 1024 * 1024);
    this.#resumeFrom = options.checkpoint;
  }

  /** Starts polling every `pollIntervalMs` until `close()`. Idempotent. Errors are logged, never thrown. */
  start(): void {
    if (this.#closing !== undefined) return;
    this.#loop ??= this.#run();
  }

  /**
   * One poll (serialized with the loop's): reads everything complete that is there now. Rejects
   * with file-system errors other than "the file does not exist (yet)"; a rejecting `onEvents`
   * does not reject the poll (the lines are offered again next time).
   */
  pollOnce(): Promise<void> {
    const run = this.#polling.then(() => this.#poll());
    this.#polling = run.catch(() => undefined);
    return run;
  }

  stats(): AuditFileFollowerStats {
    return { ...this.#stats, rejected: this.#rejected.snapshot() };
  }

  /** Stops polling, waits for the current poll and closes the file. Idempotent; never rejects. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abort.abort();
      await Promise.allSettled([this.#loop, this.#polling]);
      await this.#file?.handle.close().catch(() => undefined);
      this.#file = undefined;
    })();
    return this.#closing;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    const sleep = this.#options.sleep ?? defaultSleep;
    while (!signal.aborted) {
      await this.pollOnce().catch((error: unknown) => {
        this.#options.logger?.warn({ err: error, path: this.#options.path }, 'audit log poll failed');
      });
      if (signal.aborted) break;
      await sleep(this.#options.pollIntervalMs ?? 1000, signal).catch(() => undefined);
    }
  }

  async #poll(): Promise<void> {
    if (this.#closing !== undefined) return;
    this.#file ??= await this.#openInitial();
    if (this.#file === undefined) return;
    for (;;) {
      const atPath = await statOrUndefined(this.#options.path);
      await this.#checkTruncated(this.#file);
      if (!(await this.#readToEnd(this.#file))) return;
      if (atPath === undefined || atPath.ino === this.#file.inode) return;
      await this.#finishRotated(this.#file);
      this.#file = await this.#openAt(this.#options.path, 0, 0);
      if (this.#file === undefined) return;
      await this.#save(this.#file);
    }
  }

  async #openInitial(): Promise<OpenFile | undefined> {
    const resume = this.#resumeFrom;
    this.#resumeFrom = undefined;
    // Start-at-end skips what existed at startup only: a file created later is read whole.
    const startAtEnd = this.#firstOpen && this.#options.startAtEnd === true;
    this.#firstOpen = false;
    const path = this.#options.path;
    const current = await statOrUndefined(path);
    if (resume !== undefined) {
      const found = current?.ino === resume.inode ? path : await findByInode(dirname(path), resume.inode);
      if (found !== undefined) return this.#openAt(found, resume.offset, resume.line);
      this.#options.logger?.warn(
        { path, inode: resume.inode },
        'checkpointed audit log file is gone; reading from the start',
      );
    }
    if (current === undefined) return undefined;
    const fromEnd = resume === undefined && startAtEnd;
    return this.#openAt(path, fromEnd ? current.size : 0, 0, fromEnd);
  }

  async #openAt(path: string, offset: number, line: number, skipPartial = false): Promise<OpenFile | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error: unknown) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const { ino, size } = await handle.stat();
    const start = offset <= size ? offset : 0;
    // Starting mid-file: a line is only whole if the byte before it is a newline.
    const midLine = skipPartial && start > 0 && (await byteAt(handle, start - 1)) !== 0x0a;
    this.#splitter.reset(start, midLine);
    return { handle, path, inode: ino, line: start === offset ? line : 0 };
  }

  async #checkTruncated(file: OpenFile): Promise<void> {
    const { size } = await file.handle.stat();
    if (size >= this.#splitter.settledOffset + this.#splitter.pendingBytes) return;
    this.#stats.truncations++;
    this.#options.logger?.info(
      { path: this.#options.path, size },
      'audit log truncated (copytruncate); reading from 0',
    );
    this.#splitter.reset(0);
    file.line = 0;
  }

  /** Reads and delivers to the end of the file. Resolves false when delivery failed (retry later). */
  async #readToEnd(file: OpenFile): Promise<boolean> {
    for (;;) {
      const position = this.#splitter.settledOffset + this.#splitter.pendingBytes;
      const { bytesRead } = await file.handle.read(this.#buffer, 0, this.#buffer.length, position);
      if (bytesRead === 0) return true;
      const items = this.#splitter.push(this.#buffer.subarray(0, bytesRead));
      if (!(await this.#deliver(file, items))) return false;
    }
  }

  async #deliver(file: OpenFile, items: readonly SplitItem[]): Promise<boolean> {
    if (items.length === 0) return true;
    const events: FollowedAuditEvent[] = [];
    let line = file.line;
    for (const item of items) {
      const position = { path: file.path, inode: file.inode, line: ++line, offset: item.startOffset };
      events.push(...this.#toEvents(item, position));
    }
    try {
      if (events.length > 0) await this.#options.onEvents(events);
    } catch (error: unknown) {
      this.#stats.deliveryFailures++;
      this.#options.logger?.warn({ err: error, path: this.#options.path }, 'audit events not delivered; will retry');
      const first = items[0];
      this.#splitter.reset(first === undefined ? this.#splitter.settledOffset : first.startOffset);
      return false;
    }
    file.line = line;
    this.#stats.linesRead += items.length;
    this.#stats.eventsDelivered += events.length;
    await this.#save(file);
    return true;
  }

  /**
   * A line's audit Events: one native Event, or the several a managed cluster's export line holds
   * (AKS records, a CloudWatch envelope; see managed-formats), each checked on its own.
   */
  #toEvents(item: SplitItem | { kind: 'rest'; text: string }, position: LinePosition): FollowedAuditEvent[] {
    if (item.kind === 'too-long') return this.#malformed(position, 'line longer than maxLineBytes');
    // Azure storage and Windows tools write a byte-order mark before the first line.
    const text = item.text.startsWith('\uFEFF') ? item.text.slice(1) : item.text;
    if (text.trim() === '') return [];
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error: unknown) {
      return this.#malformed(position, describeJsonError(error));
    }
    const expanded = expandAuditValue(value);
    for (const reason of expanded.problems) this.#malformed(position, reason);
    const out: FollowedAuditEvent[] = [];
    for (const event of expanded.events) {
      const checked = checkAuditEvent(event);
      if (checked.ok) out.push({ event: checked.event, id: checked.id, position });
      // Counted by the check's own reason (`too deep`, …), not under "not an audit Event".
      else this.#malformed(position, `not an audit Event: ${checked.reason}`, checked.reason);
    }
    return out;
  }

  #malformed(position: LinePosition, reason: string, countedAs = reason): [] {
    this.#stats.malformedLines++;
    this.#rejected.add(countedAs);
    this.#options.onMalformed?.({ position, reason });
    return [];
  }

  /** The old file of a rename rotation is complete: deliver its unterminated tail, then let go. */
  async #finishRotated(file: OpenFile): Promise<void> {
    this.#stats.rotations++;
    const rest = this.#splitter.takeRest();
    if (rest !== undefined) {
      const position = { path: file.path, inode: file.inode, line: file.line + 1, offset: rest.startOffset };
      const events = this.#toEvents({ kind: 'rest', text: rest.text }, position);
      // The old file is about to be dropped, so this one is best effort: a failure is logged only.
      const lost = (error: unknown): void =>
        this.#options.logger?.warn({ err: error, path: file.path }, 'last line of rotated audit log lost');
      if (events.length > 0) await this.#options.onEvents(events).catch(lost);
    }
    this.#options.logger?.info({ path: this.#options.path, oldInode: file.inode }, 'audit log rotated');
    await file.handle.close();
  }

  async #save(file: OpenFile): Promise<void> {
    const checkpoint = { inode: file.inode, offset: this.#splitter.settledOffset, line: file.line };
    await this.#options.saveCheckpoint?.(checkpoint).catch((error: unknown) => {
      this.#options.logger?.warn({ err: error, path: this.#options.path }, 'audit log checkpoint not saved');
    });
  }
}
