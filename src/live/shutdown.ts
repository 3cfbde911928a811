/** One named step of a graceful stop. */
export interface ShutdownStep {
  readonly name: string;
  readonly run: () => Promise<void>;
}

export interface ShutdownLogger {
  error(obj: object, msg: string): void;
}

/**
 * Runs `steps` in order, each after the one before has settled. A step that fails is logged with
 * its name and the stop goes on: a webhook that will not close must not keep the journal, the
 * export or the store from closing. Never rejects; resolves to the names of the steps that failed.
 */
export async function runShutdown(steps: readonly ShutdownStep[], logger: ShutdownLogger): Promise<string[]> {
  const failed: string[] = [];
  for (const step of steps) {
    try {
      await step.run();
    } catch (err: unknown) {
      failed.push(step.name);
      logger.error({ err, step: step.name }, `shutdown: ${step.name} failed; continuing with the next step`);
    }
  }
  return failed;
}
