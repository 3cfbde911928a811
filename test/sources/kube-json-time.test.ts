import { describe, expect, it } from 'vitest';
import { formatTimeMs, parseTimeMs } from '../../src/model/kube-json.js';

const base = Date.parse('2024-05-01T10:00:00Z');

/** Microseconds after `base`, rounded: a double near 1.7e12 ms resolves about 0.25 µs. */
function microsAfterBase(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round((ms - base) * 1000);
}

describe('kube-json time', () => {
  describe('parseTimeMs', () => {
    it('parses second-precision timestamps', () => {
      expect(parseTimeMs('2024-05-01T10:00:00Z')).toBe(base);
    });

    it('keeps the microseconds of a MicroTime that Date.parse would drop', () => {
      expect(microsAfterBase(parseTimeMs('2024-05-01T10:00:00.123456Z'))).toBe(123_456);
      expect(microsAfterBase(parseTimeMs('2024-05-01T10:00:00.000001Z'))).toBe(1);
    });

    it('reads short fractions as fractions of a second and truncates nanoseconds', () => {
      expect(parseTimeMs('2024-05-01T10:00:00.5Z')).toBe(base + 500);
      expect(microsAfterBase(parseTimeMs('2024-05-01T10:00:00.123456789Z'))).toBe(123_456);
    });

    it('applies a numeric zone offset', () => {
      expect(parseTimeMs('2024-05-01T12:00:00+02:00')).toBe(base);
      expect(microsAfterBase(parseTimeMs('2024-05-01T05:00:00.250000-05:00'))).toBe(250_000);
    });

    it('reads the UTC form as Date.parse does at calendar edges, and rejects what it rejects', () => {
      for (const text of [
        '2024-02-29T23:59:59Z',
        '2023-12-31T23:59:59Z',
        '2000-02-29T00:00:00Z',
        '1999-12-31T00:00:00Z',
        '2024-04-30T12:00:00Z',
      ]) {
        expect(parseTimeMs(text)).toBe(Date.parse(text));
      }
      // Past a month's last day or at 24:00, Date.parse rolls over; past minute 59 it gives up.
      for (const text of ['2023-02-29T00:00:00Z', '2024-04-31T00:00:00Z', '2024-05-01T24:00:00Z']) {
        expect(parseTimeMs(text)).toBe(Date.parse(text));
      }
      expect(parseTimeMs('2024-05-01T10:60:00Z')).toBeUndefined();
      for (const text of ['2024-05-01T1a:00:00Z', '2024-05-01T10:00:00.Z', '2024-05-01T10:00:00.12x4Z']) {
        expect(parseTimeMs(text)).toBeUndefined();
      }
    });

    it('returns undefined for absent, null and unparseable values', () => {
      for (const v of [undefined, null, '', 'yesterday', '2024-05-01', '2024-05-01T10:00:00', 1714557600000]) {
        expect(parseTimeMs(v)).toBeUndefined();
      }
      expect(parseTimeMs('2024-13-45T10:00:00Z')).toBeUndefined();
    });
  });

  describe('formatTimeMs', () => {
    it('formats with six fractional digits, as Kubernetes MicroTime', () => {
      expect(formatTimeMs(base)).toBe('2024-05-01T10:00:00.000000Z');
      expect(formatTimeMs(base + 1.5)).toBe('2024-05-01T10:00:00.001500Z');
    });

    it('round-trips microsecond timestamps through parseTimeMs', () => {
      for (const text of [
        '2024-05-01T10:00:00.123456Z',
        '2024-05-01T10:00:00.999999Z',
        '2019-08-30T20:43:05.000001Z',
        '2021-08-03T09:14:02.654321Z',
      ]) {
        const parsed = parseTimeMs(text);
        expect(parsed).toBeDefined();
        expect(formatTimeMs(parsed ?? 0)).toBe(text);
      }
    });

    it('carries a fraction that rounds up into the next millisecond', () => {
      expect(formatTimeMs(base + 0.9996)).toBe('2024-05-01T10:00:00.001000Z');
      expect(formatTimeMs(base + 999.9999)).toBe('2024-05-01T10:00:01.000000Z');
    });

    it('always yields a well-formed RFC 3339 MicroTime', () => {
      for (let i = 0; i < 2000; i++) {
        const ms = base + i * 0.7001;
        expect(formatTimeMs(ms)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
        // Within a microsecond: half a µs of rounding plus the double's resolution near 1.7e12.
        expect(Math.abs((parseTimeMs(formatTimeMs(ms)) ?? 0) - ms)).toBeLessThanOrEqual(0.001);
      }
    });
  });
});
