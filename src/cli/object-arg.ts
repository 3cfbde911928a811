/**
 * Object names as kubectl takes them: `deploy/web`, `deployment/web`, `deployments web`,
 * `pod/x`, `sts/db`, `deployment.apps/web`. The viewer's search box reads the same forms
 * (src/ui/assets/kube-forms.js); keep the two alias tables alike.
 */
import { UsageError } from './args.js';

const KINDS: Readonly<Record<string, string>> = {
  deploy: 'Deployment',
  deployment: 'Deployment',
  rs: 'ReplicaSet',
  replicaset: 'ReplicaSet',
  sts: 'StatefulSet',
  statefulset: 'StatefulSet',
  ds: 'DaemonSet',
  daemonset: 'DaemonSet',
  job: 'Job',
  cj: 'CronJob',
  cronjob: 'CronJob',
  po: 'Pod',
  pod: 'Pod',
  no: 'Node',
  node: 'Node',
  svc: 'Service',
  service: 'Service',
};

export interface ObjectArg {
  /** The canonical kind (`Deployment`), or what was typed for a kind kubestitch has no alias of. */
  readonly kind: string;
  readonly name: string;
}

/** The kind kubectl means by `word` (`deploy`, `deployments`, `deployment.apps`), case-insensitive. */
export function kindOf(word: string): string {
  const base = word.toLowerCase().split('.')[0] ?? '';
  return KINDS[base] ?? KINDS[base.replace(/s$/, '')] ?? KINDS[base.replace(/es$/, '')] ?? word.split('.')[0] ?? word;
}

/** Parses `kind/name` or `kind name` (the positionals of `kubestitch trace`); throws UsageError. */
export function parseObjectArg(positionals: readonly string[]): ObjectArg {
  const [first, second, extra] = positionals;
  if (first === undefined) throw new UsageError('expected an object, e.g. deploy/web or "deployments web"');
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
  let kind: string;
  let name: string;
  if (second !== undefined) {
    if (first.includes('/')) throw new UsageError(`unexpected argument ${JSON.stringify(second)}`);
    [kind, name] = [first, second];
  } else {
    const slash = first.indexOf('/');
    if (slash <= 0 || slash === first.length - 1 || first.indexOf('/', slash + 1) !== -1) {
      throw new UsageError(`expected <kind>/<name> (e.g. deploy/web), got ${JSON.stringify(first)}`);
    }
    [kind, name] = [first.slice(0, slash), first.slice(slash + 1)];
  }
  return { kind: kindOf(kind), name };
}
