import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { escapeControl } from '../../src/model/terminal-text.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';

// #17 item 7: object names reach the terminal; escape sequences in them must not.
const EVIL = '\u001b]0;pwned\u0007\u001b[2J\u202e';
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('terminal output escapes control characters (#17 item 7)', () => {
  it('turns C0, DEL, C1 and bidi overrides into visible escapes and keeps other text', () => {
    expect(escapeControl(`web${EVIL}-1`)).toBe('web\\x1b]0;pwned\\x07\\x1b[2J\\u{202e}-1');
    expect(escapeControl('\u009b31m\u007f')).toBe('\\x9b31m\\x7f');
    expect(escapeControl('pod-ü-日本-𝔘 tab\tend')).toBe('pod-ü-日本-𝔘 tab\\x09end');
  });

  it('replay prints an object named with escape sequences, and malformed lines, without raw control characters', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-term-'));
    dirs.push(dir);
    const rec = runScenario('rolling-update');
    // The Deployment's name everywhere it appears (watch lines, Events, audit).
    const named = JSON.parse(JSON.stringify(rec).replaceAll('"web"', JSON.stringify(`web${EVIL}`))) as typeof rec;
    await writeRecording(dir, named);
    await appendFile(join(dir, 'watch.jsonl'), `{"type":"ADDED","object":{"kind":${JSON.stringify(EVIL)}}}\n`);
    let out = '';
    let err = '';
    const code = await main(['replay', dir], { out: (t) => void (out += t), err: (t) => void (err += t) });
    expect(code).toBe(0);
    expect(out).toContain('web\\x1b]0;pwned');
    // eslint-disable-next-line no-control-regex
    expect(`${out}${err}`).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
  });
});
