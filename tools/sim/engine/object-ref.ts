import type { KObject, ObjectReference, OwnerReference } from './k8s-types.js';

/** An ObjectReference to `obj` as client-go's reference.GetReference builds it (with resourceVersion). */
export function referenceTo(obj: KObject, fieldPath?: string): ObjectReference {
  return {
    kind: obj.kind,
    ...(obj.metadata.namespace === undefined ? {} : { namespace: obj.metadata.namespace }),
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid ?? '',
    apiVersion: obj.apiVersion,
    ...(obj.metadata.resourceVersion === undefined ? {} : { resourceVersion: obj.metadata.resourceVersion }),
    ...(fieldPath === undefined ? {} : { fieldPath }),
  };
}

/** The controller owner reference a controller puts on what it creates. */
export function controllerRef(owner: KObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** True when `obj`'s controller reference points at `ownerUid`. */
export function isControlledBy(obj: KObject, ownerUid: string | undefined): boolean {
  return obj.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === ownerUid) ?? false;
}
