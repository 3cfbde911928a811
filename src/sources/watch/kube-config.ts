/**
 * The kubeconfig reader of `run` and `record`: the kubeconfig file, `$KUBECONFIG` / `~/.kube/config`,
 * or the in-cluster service account, read the way @kubernetes/client-node 1.4's KubeConfig reads
 * them for what kubestitch supports natively — bearer token (`token`, `tokenFile`, re-read every
 * minute), client certificate and key (file or data), CA (file or data), basic auth,
 * `insecure-skip-tls-verify`, `tls-server-name`, `as`. A user with `exec` or `auth-provider`, a
 * cluster with `proxy-url`, or a `$KUBECONFIG` of several files is handed to client-node itself,
 * loaded only then: its index loads every generated API model, 28 MB of heap and 1 s of CPU that
 * an idle `kubestitch run` otherwise carried for the handful of fields above.
 */
import { readFileSync, statSync } from 'node:fs';
import type https from 'node:https';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

/** What a request needs from a kubeconfig; client-node's KubeConfig has the same two methods. */
export interface KubeCredentials {
  /** The current context's cluster; null when the context or its cluster is missing. */
  getCurrentCluster(): { readonly server: string } | null;
  /** Adds the CA, client certificate, TLS options and Authorization/Impersonate headers. */
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

/** Where to find the cluster: a kubeconfig file, the in-cluster service account, or the default chain. */
export interface KubeConnectOptions {
  /** Path of a kubeconfig; default: in-cluster when KUBERNETES_SERVICE_HOST is set, else $KUBECONFIG / ~/.kube/config. */
  readonly kubeconfig?: string;
  /** A kubeconfig context to use instead of the current one. */
  readonly context?: string;
  /** The service account's directory (tests); default the one Kubernetes mounts. */
  readonly serviceAccountDir?: string;
  /** The environment to read (tests); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
// client-node's FileAuth (and client-go) re-read a token file at most once a minute: a projected
// service-account token rotates under a running process.
const TOKEN_REREAD_MS = 60_000;

interface Cluster {
  readonly server: string;
  readonly ca?: Source;
  readonly skipTLSVerify: boolean;
  readonly tlsServerName?: string;
}

interface User {
  readonly token?: string;
  readonly tokenFile?: string;
  readonly cert?: Source;
  readonly key?: Source;
  readonly username?: string;
  readonly password?: string;
  readonly impersonate?: string;
}

/** A file (read at each request, as client-node does, so a rotated certificate is picked up) or base64 data. */
type Source = { readonly file: string } | { readonly data: string };

/**
 * Loads the client configuration. Throws with a message naming what is wrong when the kubeconfig
 * is missing or invalid (a usage error for `kubestitch run`).
 */
export function loadKubeConfig(options: KubeConnectOptions = {}): KubeCredentials {
  const env = options.env ?? process.env;
  if (options.kubeconfig !== undefined) return fromFiles([options.kubeconfig], options);
  if (env['KUBERNETES_SERVICE_HOST'] !== undefined && env['KUBECONFIG'] === undefined) {
    return inCluster(options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR, env);
  }
  const listed = (env['KUBECONFIG'] ?? '').split(delimiter).filter((f) => f !== '');
  if (listed.length > 0) return fromFiles(listed, options);
  const home = join(env['HOME'] ?? homedir(), '.kube', 'config');
  if (isFile(home)) return fromFiles([home], options);
  const sa = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (isFile(join(sa, 'token'))) return inCluster(sa, env);
  // client-node's last resort: an unauthenticated local apiserver (kubectl proxy's old default).
  return new Credentials({ server: 'http://localhost:8080', skipTLSVerify: false }, {});
}

/** The service account Kubernetes mounts into a pod, and the apiserver's Service address. */
function inCluster(dir: string, env: NodeJS.ProcessEnv): KubeCredentials {
  const host = env['KUBERNETES_SERVICE_HOST'] ?? '';
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '';
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  const server = `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  return new Credentials(
    { server, ca: { file: join(dir, 'ca.crt') }, skipTLSVerify: false },
    { tokenFile: join(dir, 'token') },
  );
}

function fromFiles(files: readonly string[], options: KubeConnectOptions): KubeCredentials {
  const doc = mergeKubeconfigs(files.map((f) => parseKubeconfig(readFileSync(f, 'utf8'), f)));
  const contextName = options.context ?? doc.currentContext;
  const context = contextName === undefined ? undefined : doc.contexts.get(contextName);
  const cluster = context === undefined ? undefined : doc.clusters.get(context.body.cluster);
  if (context === undefined || cluster === undefined) throw new Error('kubeconfig has no current cluster');
  const user = context.body.user === undefined ? undefined : doc.users.get(context.body.user);
  const server = String(cluster.body['server']).replace(/\/$/, '');
  if (needsClientNode(cluster.body, user?.body)) return new ClientNodeCredentials(server, files, options.context);
  return new Credentials(clusterOf(cluster, server), user === undefined ? {} : userOf(user));
}

/** An entry of a kubeconfig list, with the directory its relative paths are relative to. */
interface Entry<T> {
  readonly body: T;
  readonly root: string;
}

interface Kubeconfig {
  readonly currentContext: string | undefined;
  readonly contexts: ReadonlyMap<string, Entry<{ readonly cluster: string; readonly user: string | undefined }>>;
  readonly clusters: ReadonlyMap<string, Entry<Record<string, unknown>>>;
  readonly users: ReadonlyMap<string, Entry<Record<string, unknown>>>;
}

/** Reads the three named lists; an entry without a name, or a cluster without a server, is refused. */
function parseKubeconfig(text: string, file: string): Kubeconfig {
  const top = record(parse(text));
  if (top === undefined) throw new Error(`${file}: not a kubeconfig (no YAML mapping)`);
  const root = dirname(file);
  const named = (list: string, field: string): Map<string, Entry<Record<string, unknown>>> => {
    const out = new Map<string, Entry<Record<string, unknown>>>();
    const items = top[list];
    if (!Array.isArray(items)) return out;
    items.forEach((item: unknown, i) => {
      const entry = record(item);
      const name = entry?.['name'];
      if (typeof name !== 'string' || name === '') throw new Error(`${file}: ${list}[${i}].name is missing`);
      const body = record(entry?.[field]);
      if (body === undefined && list !== 'users') throw new Error(`${file}: ${list}[${i}].${field} is missing`);
      if (list === 'clusters' && text0(body?.['server']) === undefined) {
        throw new Error(`${file}: clusters[${i}].cluster.server is missing`);
      }
      // client-node looks names up with find(): the first of two entries named alike wins.
      if (!out.has(name)) out.set(name, { body: body ?? {}, root });
    });
    return out;
  };
  const contexts = new Map<string, Entry<{ cluster: string; user: string | undefined }>>();
  for (const [name, c] of named('contexts', 'context')) {
    contexts.set(name, { body: { cluster: text0(c.body['cluster']) ?? '', user: text0(c.body['user']) }, root });
  }
  return {
    currentContext: text0(top['current-context']),
    contexts,
    clusters: named('clusters', 'cluster'),
    users: named('users', 'user'),
  };
}

/**
 * $KUBECONFIG's files merged as client-node merges them: the last file that names a current
 * context sets it, and a name defined in two files is an error.
 */
function mergeKubeconfigs(docs: readonly Kubeconfig[]): Kubeconfig {
  const [first, ...rest] = docs;
  if (first === undefined) throw new Error('no kubeconfig file');
  let currentContext = first.currentContext;
  const contexts = new Map(first.contexts);
  const clusters = new Map(first.clusters);
  const users = new Map(first.users);
  const add = <T>(into: Map<string, T>, from: ReadonlyMap<string, T>, what: string): void => {
    for (const [name, v] of from) {
      if (into.has(name)) throw new Error(`Duplicate ${what}: ${name}`);
      into.set(name, v);
    }
  };
  for (const doc of rest) {
    currentContext = doc.currentContext ?? currentContext;
    add(clusters, doc.clusters, 'cluster');
    add(users, doc.users, 'user');
    add(contexts, doc.contexts, 'context');
  }
  return { currentContext, contexts, clusters, users };
}

/** Auth and transport client-node implements and kubestitch does not: exec plugins, OIDC/GCP/Azure, proxies. */
function needsClientNode(cluster: Record<string, unknown>, user: Record<string, unknown> | undefined): boolean {
  return (
    cluster['proxy-url'] !== undefined ||
    (user !== undefined && (user['exec'] !== undefined || user['auth-provider'] !== undefined))
  );
}

function clusterOf({ body: c, root }: Entry<Record<string, unknown>>, server: string): Cluster {
  const tlsServerName = text0(c['tls-server-name']);
  const ca = sourceOf(c['certificate-authority'], c['certificate-authority-data'], root);
  return {
    server,
    skipTLSVerify: c['insecure-skip-tls-verify'] === true,
    ...(ca !== undefined ? { ca } : {}),
    ...(tlsServerName !== undefined ? { tlsServerName } : {}),
  };
}

function userOf({ body: u, root }: Entry<Record<string, unknown>>): User {
  const fields: Record<string, string | Source | undefined> = {
    token: text0(u['token']),
    // client-node reads `token-file` once, at load; resolved like the certificate paths.
    tokenFile: text0(u['token']) === undefined ? pathOf(u['token-file'], root) : undefined,
    cert: sourceOf(u['client-certificate'], u['client-certificate-data'], root),
    key: sourceOf(u['client-key'], u['client-key-data'], root),
    username: text0(u['username']),
    password: text0(u['password']),
    impersonate: text0(u['as']),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as User;
}

/** A file wins over data, as in client-node; a relative file is relative to the kubeconfig's directory. */
function sourceOf(file: unknown, data: unknown, root: string): Source | undefined {
  const path = pathOf(file, root);
  if (path !== undefined) return { file: path };
  const d = text0(data);
  return d !== undefined ? { data: d } : undefined;
}

function pathOf(file: unknown, root: string): string | undefined {
  const f = text0(file);
  return f === undefined ? undefined : isAbsolute(f) ? f : join(root, f);
}

/** Credentials kubestitch applies itself. */
class Credentials implements KubeCredentials {
  readonly #cluster: Cluster;
  readonly #user: User;
  #token: { readonly value: string; readonly readAtMs: number } | undefined;

  constructor(cluster: Cluster, user: User) {
    if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
      // client-node refuses this at every request; refused once, at load, instead.
      throw new Error(`plain HTTP server ${cluster.server} without insecure-skip-tls-verify: true`);
    }
    this.#cluster = cluster;
    this.#user = user;
  }

  getCurrentCluster(): { readonly server: string } {
    return { server: this.#cluster.server };
  }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    const c = this.#cluster;
    const u = this.#user;
    if (c.skipTLSVerify) opts.rejectUnauthorized = false;
    if (c.tlsServerName !== undefined) opts.servername = c.tlsServerName;
    const ca = read(c.ca);
    if (ca !== undefined) opts.ca = ca;
    const cert = read(u.cert);
    if (cert !== undefined) opts.cert = cert;
    const key = read(u.key);
    if (key !== undefined) opts.key = key;
    const headers = (opts.headers ??= {}) as Record<string, string>;
    if (u.impersonate !== undefined) headers['Impersonate-User'] = u.impersonate;
    const token = u.token ?? this.#fileToken();
    if (token !== undefined) headers['Authorization'] = `Bearer ${token}`;
    if (u.username !== undefined) opts.auth = `${u.username}:${u.password ?? ''}`;
    return Promise.resolve();
  }

  #fileToken(): string | undefined {
    const file = this.#user.tokenFile;
    if (file === undefined) return undefined;
    const now = Date.now();
    if (this.#token === undefined || now - this.#token.readAtMs > TOKEN_REREAD_MS) {
      // A trailing newline (echo > token) would make an invalid header; client-go trims too.
      this.#token = { value: readFileSync(file, 'utf8').trim(), readAtMs: now };
    }
    return this.#token.value;
  }
}

/** client-node's own KubeConfig, imported at the first request: exec plugins, auth providers, proxies. */
class ClientNodeCredentials implements KubeCredentials {
  readonly #server: string;
  readonly #files: readonly string[];
  readonly #context: string | undefined;
  #kc: Promise<KubeCredentials> | undefined;

  constructor(server: string, files: readonly string[], context: string | undefined) {
    this.#server = server;
    this.#files = files;
    this.#context = context;
  }

  getCurrentCluster(): { readonly server: string } {
    return { server: this.#server };
  }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    this.#kc ??= clientNodeConfig(this.#files, this.#context);
    await (await this.#kc).applyToHTTPSOptions(opts);
  }
}

async function clientNodeConfig(files: readonly string[], context: string | undefined): Promise<KubeCredentials> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  files.forEach((file, i) => {
    if (i === 0) return kc.loadFromFile(file);
    const more = new KubeConfig();
    more.loadFromFile(file);
    kc.mergeConfig(more);
  });
  if (context !== undefined) kc.setCurrentContext(context);
  return kc;
}

function read(source: Source | undefined): Buffer | undefined {
  if (source === undefined) return undefined;
  return 'file' in source ? readFileSync(source.file) : Buffer.from(source.data, 'base64');
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function text0(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
