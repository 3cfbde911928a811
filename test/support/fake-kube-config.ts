import { KubeConfig } from '@kubernetes/client-node';

/**
 * A client-node KubeConfig for a test server (the fake apiserver) at `server`. client-node only
 * skips its TLS setup when the cluster says skipTLSVerify, even for http:// servers.
 */
export function kubeConfigFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'test' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}
