import { describe, expect, it } from 'vitest';
import { parseListenAddr, resolveRunSettings } from '../../src/cli/run-config.js';
import type { RunSettings } from '../../src/cli/run-config.js';

function settings(cli: Parameters<typeof resolveRunSettings>[0], file?: string): RunSettings {
  const s = resolveRunSettings(cli, file, 'kubestitch.yaml');
  if (typeof s === 'string') throw new Error(`unexpected error: ${s}`);
  return s;
}

function problem(cli: Parameters<typeof resolveRunSettings>[0], file?: string): string {
  const s = resolveRunSettings(cli, file, 'kubestitch.yaml');
  if (typeof s !== 'string') throw new Error(`expected an error, got settings ${JSON.stringify(s)}`);
  return s;
}

describe('resolveRunSettings', () => {
  describe('defaults', () => {
    it('watches objects and Events into the embedded store, served on 127.0.0.1:16686', () => {
      const s = settings({});
      expect([...s.sources].sort()).toEqual(['events', 'watch']);
      expect(s).toMatchObject({
        cluster: 'default',
        dataDir: '.kubestitch-data',
        watchKinds: [],
        embeddedStore: true,
        ui: { host: '127.0.0.1', port: 16686 },
        spoolMaxBytes: 1024 ** 3,
        storeRetentionHours: 72,
        storeMaxBytes: 2 * 1024 ** 3,
        shutdownDeadlineMs: 20_000,
        metricsOwnerAllow: [],
        metricsNamespaceAllow: [],
      });
      for (const absent of ['out', 'otlpEndpoint', 'adminAddr', 'webhook', 'auditLogPath', 'otlpGrpcAddr'] as const)
        expect(s[absent]).toBeUndefined();
      expect(s.leaderElection).toBeUndefined();
    });

    it('an empty or comment-only config file changes nothing', () => {
      expect(settings({}, '')).toEqual(settings({}));
      expect(settings({}, '# nothing yet\n')).toEqual(settings({}));
    });

    it('has no embedded store and no viewer when spans go elsewhere, unless --ui asks for one', () => {
      const out = settings({ out: 'spans.jsonl' });
      expect(out.embeddedStore).toBe(false);
      expect(out.ui).toBeUndefined();
      const otlp = settings({ 'otlp-endpoint': 'http://collector:4317' });
      expect(otlp.embeddedStore).toBe(false);
      expect(otlp.ui).toBeUndefined();
      const both = settings({ 'otlp-endpoint': 'http://collector:4317', ui: ':8080' });
      expect(both.embeddedStore).toBe(true);
      expect(both.ui).toEqual({ port: 8080 });
    });

    it('adds audit and otlp sources when their options are given, with the default OTLP ports', () => {
      const s = settings({
        'audit-log-path': '/var/log/audit.log',
        'otlp-grpc-addr': '127.0.0.1:14317',
      });
      expect([...s.sources].sort()).toEqual(['audit', 'events', 'otlp', 'watch']);
      expect(s.auditLogPath).toBe('/var/log/audit.log');
      expect(s.otlpGrpcAddr).toEqual({ host: '127.0.0.1', port: 14317 });
      // Not given: loopback only (#17 item 3); ":PORT" given would mean all interfaces.
      expect(s.otlpHttpAddr).toEqual({ host: '127.0.0.1', port: 4318 });
      expect(settings({ sources: 'otlp', 'otlp-http-addr': ':4318' }).otlpHttpAddr).toEqual({ port: 4318 });
    });

    it('expands $(NAME) in a listen address from the environment, as the chart binds the pod IP', () => {
      process.env['KS_TEST_POD_IP'] = '10.1.2.3';
      try {
        const s = settings({ sources: 'otlp', 'otlp-grpc-addr': '[$(KS_TEST_POD_IP)]:4317' });
        expect(s.otlpGrpcAddr).toEqual({ host: '10.1.2.3', port: 4317 });
      } finally {
        delete process.env['KS_TEST_POD_IP'];
      }
      expect(problem({ sources: 'otlp', 'otlp-grpc-addr': '[$(KS_TEST_POD_IP)]:4317' })).toContain('not set');
    });

    it('takes a token file and TLS files for the OTLP receivers', () => {
      const s = settings({
        sources: 'otlp',
        'otlp-token-file': '/t',
        'otlp-tls-cert': '/c',
        'otlp-tls-key': '/k',
        'otlp-client-ca': '/ca',
      });
      expect(s.otlpAuth).toEqual({ tokenFile: '/t', tlsCert: '/c', tlsKey: '/k', clientCa: '/ca' });
      expect(settings({ sources: 'otlp' }).otlpAuth).toBeUndefined();
    });
  });

  describe('config file', () => {
    const file = [
      'cluster: prod-eu',
      'data-dir: /var/lib/kubestitch',
      'otlp-endpoint: http://tempo:4317',
      'spool-max-bytes: 1048576',
      'shutdown-deadline-seconds: 5',
      'admin-addr: ":9090"',
      'leader-elect: true',
      'leader-election-namespace: observability',
      'watch-kinds:',
      '  - services.v1',
      '  - certificates.v1.cert-manager.io:metadata',
      'metrics-namespace-allow: "default, kube-system"',
      '',
    ].join('\n');

    it('uses the flag names as keys, numbers and booleans as YAML has them', () => {
      const s = settings({}, file);
      expect(s).toMatchObject({
        cluster: 'prod-eu',
        dataDir: '/var/lib/kubestitch',
        otlpEndpoint: 'http://tempo:4317',
        spoolMaxBytes: 1_048_576,
        shutdownDeadlineMs: 5_000,
        adminAddr: { port: 9090 },
        leaderElection: { namespace: 'observability', leaseName: 'kubestitch' },
        metricsNamespaceAllow: ['default', 'kube-system'],
        embeddedStore: false,
      });
      expect(s.watchKinds).toEqual([
        { resource: 'services', version: 'v1', group: '', metadataOnly: false },
        { resource: 'certificates', version: 'v1', group: 'cert-manager.io', metadataOnly: true },
      ]);
    });

    it('lets the command line override the file, option by option', () => {
      const s = settings({ cluster: 'from-cli', 'watch-kinds': 'ingresses.v1.networking.k8s.io,configmaps.v1' }, file);
      expect(s.cluster).toBe('from-cli');
      expect(s.watchKinds.map((k) => k.resource)).toEqual(['ingresses', 'configmaps']);
      // Untouched options keep the file's value.
      expect(s.dataDir).toBe('/var/lib/kubestitch');
      expect(s.otlpEndpoint).toBe('http://tempo:4317');
    });

    it('takes a list as a YAML list, a comma string in the file or on the command line alike', () => {
      const fromList = settings({}, 'sources:\n  - watch\n  - audit\naudit-log-path: /a.log\n');
      const fromString = settings({}, 'sources: "watch, audit"\naudit-log-path: /a.log\n');
      const fromCli = settings({ sources: 'watch,audit', 'audit-log-path': '/a.log' });
      for (const s of [fromList, fromString, fromCli]) expect([...s.sources].sort()).toEqual(['audit', 'watch']);
    });

    it('treats a key set to null as not set', () => {
      expect(settings({}, 'cluster:\n').cluster).toBe('default');
    });
  });

  describe('errors', () => {
    it.each([
      ['clusterr: prod\n', 'kubestitch.yaml: unknown option "clusterr"'],
      ['config: other.yaml\n', 'kubestitch.yaml: unknown option "config"'],
      ['leader-elect: "yes"\n', 'kubestitch.yaml: "leader-elect" must be true or false'],
      ['cluster: 5\n', 'kubestitch.yaml: "cluster" must be a string'],
      ['spool-max-bytes: [1]\n', 'kubestitch.yaml: "spool-max-bytes" must be a number'],
      ['watch-kinds: [services.v1, 7]\n', 'kubestitch.yaml: "watch-kinds" must be a list of strings'],
      ['- cluster\n', 'kubestitch.yaml: expected a mapping of option names to values'],
      ['cluster: [unclosed\n', 'kubestitch.yaml: not valid YAML'],
    ])('names the file and the key for %j', (text, message) => {
      expect(problem({}, text)).toContain(message);
    });

    it.each([
      [{ 'admin-addr': 'localhost' }, '--admin-addr must be [host]:port, got localhost'],
      [{ 'admin-addr': '127.0.0.1:99999' }, '--admin-addr must be [host]:port, got 127.0.0.1:99999'],
      [{ ui: 'host:' }, '--ui must be [host]:port, got host:'],
      [{ 'otlp-grpc-addr': '::1' }, '--otlp-grpc-addr must be [host]:port, got ::1'],
      [{ 'spool-max-bytes': '-5' }, '--spool-max-bytes must be a positive number, got -5'],
      [{ 'shutdown-deadline-seconds': 'soon' }, '--shutdown-deadline-seconds must be a positive number, got soon'],
      [{ sources: 'watch,logs' }, '--sources: unknown source(s) logs'],
      [{ sources: 'audit' }, '--sources audit needs --audit-webhook-addr and/or --audit-log-path'],
      [{ stitch: 'merge' }, '--stitch must be reparent or link, got merge'],
      [{ 'otlp-tls-cert': '/c' }, 'the OTLP receivers serve TLS with both --otlp-tls-cert and --otlp-tls-key'],
      [{ 'otlp-client-ca': '/ca' }, '--otlp-client-ca needs --otlp-tls-cert and --otlp-tls-key'],
      [{ 'watch-kinds': 'services.v1,secrets.v1' }, '--watch-kinds "secrets.v1": Secrets are never watched'],
      [{ 'watch-kinds': 'services' }, '--watch-kinds "services": expected resource.version[.group]'],
    ])('explains %j', (cli, message) => {
      expect(problem(cli)).toContain(message);
    });

    it('refuses a plain-HTTP audit webhook unless it is asked for', () => {
      expect(problem({ 'audit-webhook-addr': ':8443' })).toBe(
        'the audit webhook serves HTTPS: give --audit-tls-cert and --audit-tls-key (or --audit-webhook-insecure-http)',
      );
      expect(problem({ 'audit-webhook-addr': ':8443', 'audit-tls-cert': '/tls.crt' })).toContain('--audit-tls-key');
      const insecure = settings({ 'audit-webhook-addr': ':8443', 'audit-webhook-insecure-http': true });
      expect(insecure.webhook).toEqual({ addr: { port: 8443 }, insecureHttp: true });
      expect(insecure.sources.has('audit')).toBe(true);
      const tls = settings({}, 'audit-webhook-addr: ":8443"\naudit-tls-cert: /c\naudit-tls-key: /k\n');
      expect(tls.webhook).toEqual({ addr: { port: 8443 }, insecureHttp: false, tlsCert: '/c', tlsKey: '/k' });
    });

    it('checks a value from the file as strictly as one from the command line', () => {
      expect(problem({}, 'admin-addr: nowhere\n')).toContain('must be [host]:port, got nowhere');
      expect(problem({}, 'store-max-bytes: 0\n')).toContain('must be a positive number, got 0');
    });
  });
});

describe('parseListenAddr', () => {
  it('reads [host]:port, bracketed IPv6 and all interfaces', () => {
    expect(parseListenAddr(':4317')).toEqual({ port: 4317 });
    expect(parseListenAddr('0.0.0.0:4317')).toEqual({ host: '0.0.0.0', port: 4317 });
    expect(parseListenAddr('[::1]:9090')).toEqual({ host: '::1', port: 9090 });
    expect(parseListenAddr('localhost:0')).toEqual({ host: 'localhost', port: 0 });
  });

  it.each(['4317', 'host:', 'host:port', 'host:70000', 'host:-1', '::1', 'fe80::1:9090', '[::1]'])(
    'refuses %j',
    (text) => {
      expect(parseListenAddr(text)).toBeUndefined();
    },
  );
});

describe('adoption window and annotation redaction', () => {
  it('take a duration and a list from the flags or the config file', () => {
    expect(settings({ 'adoption-window': '5s' }).adoptionWindowMs).toBe(5_000);
    expect(settings({}, 'adoption-window: 0\n').adoptionWindowMs).toBe(0);
    expect(settings({}).adoptionWindowMs).toBeUndefined();
    expect(settings({}, 'redact-annotations: example.com/customer-id,/^vault\\./\n').redactAnnotations).toEqual([
      'example.com/customer-id',
      '/^vault\\./',
    ]);
    expect(settings({}).redactAnnotations).toEqual([]);
  });

  it('refuse a bad duration and a regex that does not compile, naming the option', () => {
    expect(problem({ 'adoption-window': 'soon' })).toMatch(/^--adoption-window must be a duration/);
    expect(problem({}, 'redact-annotations: /(/\n')).toMatch(/^--redact-annotations: Invalid regular expression/);
  });
});
