/** Time source injected into every stage that needs "now"; graph and synth never read the wall clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch (may carry a fraction for sub-millisecond precision). */
  nowMs(): number;
}

/** The wall clock, for live mode. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock that only moves when told to: replay drives it from record times, tests from scripts. */
export class ManualClock implements Clock {
  #nowMs: number;

  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  /** Moves to `ms` if that is later; time never runs backwards. */
  advanceTo(ms: number): void {
    if (ms > this.#nowMs) this.#nowMs = ms;
  }
}
