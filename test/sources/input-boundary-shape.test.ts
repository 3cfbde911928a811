import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INPUT_LIMITS, checkShape } from '../../src/sources/input-boundary.js';
import { auditLine, eventLine, otlpLine, watchLine } from '../hostile/fuzz-inputs.js';

/**
 * checkShape as it was before it stopped allocating per JSON node (#16), kept as the reference:
 * the rewrite must accept and refuse exactly what this did, with the same reason.
 */
function referenceCheckShape(value: unknown): string | undefined {
  const stack: { readonly v: object; readonly depth: number }[] = [];
  let nodes = 1;
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) stack.push({ v: value, depth: 1 });
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (top.depth > INPUT_LIMITS.maxDepth) return `too deep: nested over ${INPUT_LIMITS.maxDepth} levels`;
    const children: readonly unknown[] = Array.isArray(top.v) ? top.v : Object.values(top.v);
    nodes += children.length;
    if (nodes > INPUT_LIMITS.maxNodes) return `too large: over ${INPUT_LIMITS.maxNodes} JSON values`;
    for (const child of children) {
      if (typeof child === 'object' && child !== null && !ArrayBuffer.isView(child)) {
        stack.push({ v: child, depth: top.depth + 1 });
      }
    }
  }
  return undefined;
}

const same = (value: unknown): void => {
  expect(checkShape(value)).toBe(referenceCheckShape(value));
};

/** A chain `depth` levels deep (the outermost counts as 1), ending in `leaf`. */
function chain(depth: number, arrays: boolean, leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = arrays ? [v, 'x'] : { a: v, b: 'x' };
  return v;
}

/** A long-like class instance: own fields, and an enumerable prototype field too deep to accept. */
class LongLike {
  constructor(
    readonly low: number,
    readonly high: number,
  ) {}
}
Object.defineProperty(LongLike.prototype, 'inherited', { value: chain(150, false), enumerable: true });

describe('checkShape decides as it did before it stopped allocating per node', () => {
  it('agrees on random JSON, long strings included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.string({ minLength: 1000, maxLength: 5000 }), (v, s) => {
        same(v);
        same({ s, v, list: [v, s] });
      }),
      { numRuns: 300 },
    );
  });

  it('agrees on branches of random depth around the limit, in any order', () => {
    const branch = fc.tuple(fc.integer({ min: 1, max: 130 }), fc.boolean(), fc.jsonValue({ maxDepth: 2 }));
    fc.assert(
      fc.property(fc.array(branch, { maxLength: 6 }), fc.boolean(), (branches, arrays) => {
        const built = branches.map(([d, a, leaf]) => chain(d, a, leaf));
        same(arrays ? built : Object.fromEntries(built.map((b, i) => [`k${i}`, b])));
      }),
      { numRuns: 200 },
    );
  });

  it('agrees on mutated watch lines, Events, audit events and OTLP/JSON from the hostile suite', () => {
    fc.assert(
      fc.property(fc.oneof(watchLine, eventLine, auditLine, otlpLine), (line) => {
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          return;
        }
        same(value);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees at the depth limit and 100,000 deep', () => {
    for (const arrays of [true, false]) {
      for (const d of [99, 100, 101, 102]) same(chain(d, arrays));
      expect(checkShape(chain(100, arrays))).toBeUndefined();
      expect(checkShape(chain(101, arrays))).toMatch(/^too deep/);
      same(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`));
      same(JSON.parse(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`));
    }
  });

  it('agrees at the size limit, and on which reason a value both too deep and too large gets', () => {
    const fits = new Array<number>(INPUT_LIMITS.maxNodes - 1).fill(0);
    const over = new Array<number>(INPUT_LIMITS.maxNodes).fill(0);
    same(fits);
    same(over);
    expect(checkShape(fits)).toBeUndefined();
    expect(checkShape(over)).toMatch(/^too large/);
    const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, new Array<number>(2000).fill(i)]));
    same(wide);
    expect(checkShape(wide)).toMatch(/^too large/);
    // The last child is walked first: each order gives a different reason, as it always did.
    const deepFirst = [chain(150, false), over];
    const bigFirst = [over, chain(150, false)];
    same(deepFirst);
    same(bigFirst);
    expect(checkShape(deepFirst)).toMatch(/^too large/);
    expect(checkShape(bigFirst)).toMatch(/^too deep/);
    // A small value after those is judged on its own.
    expect(checkShape({ a: [1, { b: 2 }] })).toBeUndefined();
  });

  it('agrees on bytes, class instances, __proto__ keys and scalars', () => {
    same(new Uint8Array(5_000_000));
    same({ traceId: Buffer.from('0123456789abcdef'), values: [new Uint8Array(3), chain(150, true)] });
    same({ t: new LongLike(1, 2), list: [new LongLike(3, 4)] });
    expect(checkShape(new LongLike(1, 2))).toBeUndefined();
    same(JSON.parse('{"__proto__":{"a":[1,2,3]},"constructor":{"prototype":{}}}'));
    for (const v of [null, undefined, 0, 'x'.repeat(1_000_000), true, [], {}]) same(v);
  });

  it('agrees when Object.prototype has been given an enumerable key', () => {
    const value = JSON.parse('{"a":{"b":[{"c":1}]}}') as unknown;
    const results: [string | undefined, string | undefined] = [undefined, undefined];
    Object.defineProperty(Object.prototype, 'polluted', {
      value: chain(150, false),
      enumerable: true,
      configurable: true,
    });
    try {
      results[0] = checkShape(value);
      results[1] = referenceCheckShape(value);
    } finally {
      Reflect.deleteProperty(Object.prototype, 'polluted');
    }
    expect(results[0]).toBe(results[1]);
    expect(results[0]).toBeUndefined();
  });
});
