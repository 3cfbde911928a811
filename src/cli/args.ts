import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { optionsOf, valueProblem } from './option-schema.js';
import type { CommandName } from './option-schema.js';

/** One command's options, in node:util parseArgs form (extra keys such as `list` are ignored). */
export type OptionSpec = Readonly<
  Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string; readonly [extra: string]: unknown }>
>;

export interface ParsedArgs {
  /** A `multiple: true` option gives every value it was given, in order. */
  readonly values: Readonly<Record<string, string | boolean | readonly string[] | undefined>>;
  readonly positionals: readonly string[];
}

/** A command line the command cannot take: printed kubectl-style, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Parses `argv` against a command's flags (plus -h/--help) and throws `UsageError` with a one-line,
 * kubectl-style reason — `unknown flag --bogus` (a flag of another command too), `flag needs an
 * argument: --out`, `--stitch must be reparent or link, got glue` — instead of node's parser
 * message. A command named here has its flags and their checks from the option schema
 * (option-schema.ts); a bare spec (dev tools) only its names and types. Positional counts are
 * the caller's to check.
 */
export function parseCommandArgs(argv: readonly string[], command: CommandName | OptionSpec): ParsedArgs {
  const options = typeof command === 'string' ? optionsOf(command) : command;
  const spec: OptionSpec = { ...options, help: { type: 'boolean', short: 'h' } };
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    options: spec as ParseArgsConfig['options'],
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const known = spec[token.name];
    if (known === undefined) throw new UsageError(`unknown flag ${token.rawName}`);
    if (known.type === 'string' && token.value === undefined) {
      throw new UsageError(`flag needs an argument: ${token.rawName}`);
    }
    if (known.type === 'boolean' && token.value !== undefined) {
      throw new UsageError(`flag ${token.rawName} takes no value`);
    }
  }
  const out: Record<string, string | boolean | readonly string[] | undefined> = {};
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === 'string' || typeof v === 'boolean') out[k] = v;
    else if (Array.isArray(v)) out[k] = (v as unknown[]).filter((x): x is string => typeof x === 'string');
    // Each value checked once, here, by its flag's own check.
    const problem = typeof command === 'string' ? valueProblem(k, out[k]) : undefined;
    if (problem !== undefined) throw new UsageError(problem);
  }
  return { values: out, positionals };
}

/** A string value of a parsed option (booleans cannot appear for string options after parsing). */
export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Every value of a repeatable (`multiple: true`) string option; [] when absent. */
export function strs(args: ParsedArgs, name: string): readonly string[] {
  const v = args.values[name];
  return typeof v === 'string' ? [v] : Array.isArray(v) ? v : [];
}

/**
 * Checks a URL option (`--otlp-endpoint`, `--server`) up front, so a long replay does not fail
 * only at its end. Throws `UsageError` unless it is an absolute http(s) URL with a host.
 */
export function checkHttpUrl(flag: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} must be a URL such as http://localhost:4317, got ${JSON.stringify(value)}`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new UsageError(`${flag} must be an http:// or https:// URL with a host, got ${JSON.stringify(value)}`);
  }
  return url;
}

/** Human text for a file-system error (`no such file or directory`), not node's errno string. */
export function describeFsError(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const text = FS_ERRORS[code];
  if (text !== undefined) return text;
  return err instanceof Error ? err.message : String(err);
}

const FS_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EEXIST: 'it already exists',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};
