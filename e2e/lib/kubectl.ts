/** The project's kubectl (.tools/bin, scripts/fetch-k8s-tools.sh) against the e2e cluster. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const KUBECTL = fileURLToPath(new URL('../../.tools/bin/kubectl', import.meta.url));

export class Kubectl {
  readonly #kubeconfig: string;
  /** Every command run, with its start time, for the e2e log. */
  readonly log: string[] = [];

  constructor(kubeconfig: string) {
    this.#kubeconfig = kubeconfig;
  }

  /** Runs kubectl; rejects with its stderr when it exits non-zero. */
  run(args: readonly string[], stdin?: string, timeoutMs = 120_000): Promise<string> {
    this.log.push(`${new Date().toISOString()} kubectl ${args.join(' ')}`);
    return new Promise((resolve, reject) => {
      const child = execFile(
        KUBECTL,
        ['--kubeconfig', this.#kubeconfig, ...args],
        { timeout: timeoutMs, maxBuffer: 64 << 20 },
        (err, stdout, stderr) => {
          if (err !== null) reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`));
          else resolve(stdout);
        },
      );
      if (stdin !== undefined) child.stdin?.end(stdin);
    });
  }

  apply(yaml: string): Promise<string> {
    return this.run(['apply', '-f', '-'], yaml);
  }

  async json<T>(args: readonly string[]): Promise<T> {
    return JSON.parse(await this.run([...args, '-o', 'json'])) as T;
  }

  /** Polls `check` every 500 ms until it returns true; rejects after `timeoutMs`. */
  async until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if (await check()) return;
      } catch {
        // Not there yet (NotFound while a controller catches up): poll again.
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
