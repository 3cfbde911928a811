import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A kubeconfig for a plain-HTTP server that both kubectl and @kubernetes/client-node load.
 * client-node only skips its TLS setup when the cluster says insecure-skip-tls-verify, even for
 * http:// servers, so the flag is set although no TLS is involved.
 */
export function kubeconfigYaml(url: string, contextName: string, namespace = 'default'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${contextName}`,
    '  cluster:',
    `    server: ${url}`,
    '    insecure-skip-tls-verify: true',
    'contexts:',
    `- name: ${contextName}`,
    '  context:',
    `    cluster: ${contextName}`,
    `    user: ${contextName}`,
    `    namespace: ${namespace}`,
    `current-context: ${contextName}`,
    'users:',
    `- name: ${contextName}`,
    '  user:',
    '    token: kubestitch-fake-apiserver',
    '',
  ].join('\n');
}

/** Writes the kubeconfig (creating the directory). Rejects with the file-system error. */
export async function writeKubeconfig(path: string, url: string, contextName: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, kubeconfigYaml(url, contextName), { mode: 0o600 });
  return path;
}
