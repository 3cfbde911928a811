// Object names as kubectl takes them, for the search box: deploy/web, deployment/web,
// "deployments web", po/x, sts/db. Keep the aliases alike with src/cli/object-arg.ts.
const KINDS = {
  deploy: 'deployment',
  deployment: 'deployment',
  rs: 'replicaset',
  replicaset: 'replicaset',
  sts: 'statefulset',
  statefulset: 'statefulset',
  ds: 'daemonset',
  daemonset: 'daemonset',
  job: 'job',
  cj: 'cronjob',
  cronjob: 'cronjob',
  po: 'pod',
  pod: 'pod',
  no: 'node',
  node: 'node',
  svc: 'service',
  service: 'service',
};

function kindOf(word) {
  const base = word.toLowerCase().split('.')[0];
  return KINDS[base] ?? KINDS[base.replace(/s$/, '')] ?? KINDS[base.replace(/es$/, '')];
}

/**
 * The object search's terms for what was typed: `deploy/web` → `deployment/web`,
 * `deployments web` → `deployment web`; anything else (shop/web, a pod name) as typed.
 */
export function searchTerms(q) {
  const text = q.trim();
  const slash = /^([A-Za-z][\w.]*)\/([^/\s]+)$/.exec(text);
  if (slash && kindOf(slash[1])) return `${kindOf(slash[1])}/${slash[2]}`;
  const words = text.split(/\s+/);
  if (words.length >= 2 && kindOf(words[0])) return [kindOf(words[0]), ...words.slice(1)].join(' ');
  return text;
}
