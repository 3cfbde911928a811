/**
 * What the operator docs show as commands: code-block lines (shell continuations joined) and the
 * inline code spans of the prose, and the `kubestitch …` invocations among them. Used by the
 * tests that hold the docs against the CLI and the chart.
 */

/** A piece of code the docs show: a code-block line (continuations joined) or an inline span. */
export interface DocCode {
  readonly text: string;
  readonly inline: boolean;
}

/** One fenced code block: its info string (`sh`, `yaml`, …) and its body. */
export interface DocBlock {
  readonly lang: string;
  readonly body: string;
}

/** The fenced code blocks of a Markdown text, in order. */
export function codeBlocks(markdown: string): DocBlock[] {
  const out: DocBlock[] = [];
  for (const m of markdown.matchAll(/^ *```(\S*)[^\n]*\n([\s\S]*?)^ *```[ \t]*$/gm)) {
    out.push({ lang: m[1] ?? '', body: m[2] ?? '' });
  }
  return out;
}

/**
 * Code-block lines (a line ending in `\` continues on the next, as in the shell) and the inline
 * code spans outside code blocks (a span may wrap across lines of a paragraph).
 */
export function docCode(markdown: string): DocCode[] {
  const out: DocCode[] = [];
  for (const block of codeBlocks(markdown)) {
    for (const line of block.body.replace(/\\\n\s*/g, ' ').split('\n')) out.push({ text: line, inline: false });
  }
  const prose = markdown.replace(/^ *```[^\n]*\n[\s\S]*?^ *```[ \t]*$/gm, '').replace(/\n/g, ' ');
  for (const m of prose.matchAll(/`([^`]+)`/g)) out.push({ text: m[1] ?? '', inline: true });
  return out;
}

/** A `kubestitch <command> …` invocation found in docs: the command and the options it passes. */
export interface Invocation {
  readonly command: string;
  readonly flags: readonly string[];
  readonly text: string;
}

// kubestitch in command position: start of the line or after a shell separator, optionally via
// npx; a shell comment ends the command.
const INVOCATION = /(?:^|[;&|]\s*)\s*(?:npx\s+)?kubestitch\s+(\S+)([^#\n]*)/g;

/** Every `kubestitch …` invocation in the given code pieces (or raw text lines). */
export function invocations(code: readonly DocCode[] | string): Invocation[] {
  const pieces = typeof code === 'string' ? code.split('\n').map((text) => ({ text, inline: false })) : code;
  const out: Invocation[] = [];
  for (const { text } of pieces) {
    for (const m of text.matchAll(INVOCATION)) {
      const rest = m[2] ?? '';
      out.push({ command: m[1] ?? '', flags: flagsIn(rest), text: m[0].trim() });
    }
  }
  return out;
}

/** The `--long-option` names in a piece of text (without the dashes and any `=value`). */
export function flagsIn(text: string): string[] {
  return [...text.matchAll(/(?:^|[\s[(/,|`])--([a-z][a-z0-9-]*)/g)].map((m) => m[1] ?? '');
}
