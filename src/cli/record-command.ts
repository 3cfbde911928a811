import { pino } from 'pino';
import { Recorder } from '../live/recorder.js';
import { KubeHttp, loadKubeConfig } from '../sources/watch/kube-http.js';
import { DEFAULT_RESOURCES, discoverResources, eventResources, parseResourceSpec } from '../sources/watch/resources.js';
import { parseWatchScope } from '../sources/watch/scope.js';
import type { ResourceSpec } from '../sources/watch/resources.js';
import type { CliIo } from './main.js';
import { describeFsError, str } from './args.js';
import type { ParsedArgs } from './args.js';
import { usageErrorText } from './usage.js';

/**
 * `kubestitch record <dir>`. Resolves to the exit status: 0 after Ctrl-C, 1 when the cluster or
 * directory cannot be used or a recording file cannot be written (it stops then), 2 for usage
 * errors. Never rejects.
 */
export async function runRecordCommand(
  dir: string,
  args: ParsedArgs,
  io: CliIo,
  stopSignal: Promise<unknown>,
): Promise<number> {
  const parsed = {
    values: {
      kubeconfig: str(args, 'kubeconfig'),
      context: str(args, 'context'),
      'watch-kinds': str(args, 'watch-kinds'),
    },
  };
  const specs: ResourceSpec[] = [];
  for (const item of (parsed.values['watch-kinds'] ?? '').split(',').filter((x) => x.trim() !== '')) {
    const spec = parseResourceSpec(item);
    if (typeof spec === 'string') {
      io.err(usageErrorText('record', `--watch-kinds ${spec}`));
      return 2;
    }
    specs.push(spec);
  }
  const items = (name: string): string[] =>
    (str(args, name) ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
  const scope = parseWatchScope(items('namespaces'), items('exclude-namespaces'), str(args, 'label-selector'));
  if (typeof scope === 'string') {
    io.err(usageErrorText('record', scope));
    return 2;
  }
  let http: KubeHttp;
  try {
    http = new KubeHttp(
      loadKubeConfig({
        ...(parsed.values.kubeconfig !== undefined ? { kubeconfig: parsed.values.kubeconfig } : {}),
        ...(parsed.values.context !== undefined ? { context: parsed.values.context } : {}),
      }),
    );
  } catch (err: unknown) {
    io.err(`kubestitch record: cannot load the kubeconfig: ${(err as Error).message}\n`);
    return 2;
  }
  const logger = pino({ name: 'kubestitch-record' }, pino.destination(2));
  let recorder: Recorder;
  try {
    const resources = [...DEFAULT_RESOURCES, ...(await eventResources(http))];
    // A kind asked for that is watched anyway (a default kind, an Event API, in any version) is
    // watched once, as in `run`: a second informer would write each of its changes twice.
    const have = new Set(resources.map((r) => `${r.group}/${r.resource}`));
    for (const r of await discoverResources(http, specs)) {
      if (!have.has(`${r.group}/${r.resource}`)) resources.push(r);
      have.add(`${r.group}/${r.resource}`);
    }
    recorder = await Recorder.start({ http, dir, resources, scope, logger });
  } catch (err: unknown) {
    io.err(`kubestitch record: cannot start: ${describeFsError(err)}\n`);
    return 1;
  }
  io.out(`kubestitch: recording ${http.server} into ${dir}; Ctrl-C to stop\n`);
  const failure = await Promise.race([stopSignal.then(() => undefined), recorder.failed()]);
  await recorder.stop();
  if (failure !== undefined) {
    io.err(`kubestitch record: ${failure.message}; the recording in ${dir} ends there\n`);
    return 1;
  }
  io.out(
    `kubestitch: recorded ${recorder.stats.watchLines} object and ${recorder.stats.eventLines} Event changes into ${dir}\n`,
  );
  return 0;
}
