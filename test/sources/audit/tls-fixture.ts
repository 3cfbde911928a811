import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM files of a throwaway PKI: a CA, a server cert for localhost and two client certs. */
export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** Signed by the CA. */
  readonly client: { readonly cert: Buffer; readonly key: Buffer };
  /** Signed by another CA the server does not trust. */
  readonly stranger: { readonly cert: Buffer; readonly key: Buffer };
  readonly ca: Buffer;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  ]);
}

async function makeLeaf(dir: string, name: string, ca: string, ext: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  ]);
}

/** Generates the PKI with the `openssl` CLI into a fresh temp directory (about 100 ms). */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'kubestitch-pki-'));
  await Promise.all([makeCa(dir, 'ca'), makeCa(dir, 'other-ca')]);
  await Promise.all([
    makeLeaf(dir, 'server', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'),
    makeLeaf(dir, 'kube-apiserver', 'ca', 'extendedKeyUsage=clientAuth\n'),
    makeLeaf(dir, 'stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n'),
  ]);
  const pem = (name: string): Promise<Buffer> => readFile(join(dir, name));
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    client: { cert: await pem('kube-apiserver.crt'), key: await pem('kube-apiserver.key') },
    stranger: { cert: await pem('stranger.crt'), key: await pem('stranger.key') },
    ca: await pem('ca.crt'),
  };
}
