import { describe, expect, it } from 'vitest';
import { kindOfResource } from '../../src/model/object-ref.js';

describe('kindOfResource', () => {
  it('names the kind of a known group/resource, whatever group an old client used', () => {
    expect(kindOfResource('apps', 'deployments')).toBe('Deployment');
    expect(kindOfResource('extensions', 'deployments')).toBe('Deployment');
    expect(kindOfResource('', 'pods')).toBe('Pod');
    expect(kindOfResource('rbac.authorization.k8s.io', 'clusterrolebindings')).toBe('ClusterRoleBinding');
  });

  it('knows no kind for a resource it does not know, nor for an Object.prototype name', () => {
    expect(kindOfResource('example.com', 'widgets')).toBeUndefined();
    expect(kindOfResource('', '')).toBeUndefined();
    expect(kindOfResource('', 'constructor')).toBeUndefined();
    expect(kindOfResource('', '__proto__')).toBeUndefined();
  });
});
