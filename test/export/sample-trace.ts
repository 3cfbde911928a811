import { ATTR, OPERATION, OUTCOME } from '../../src/model/attributes.js';
import type { SpanData } from '../../src/model/span.js';

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const ROOT_ID = '00f067aa0ba902b7';
export const CHILD_ID = '53995c3f42cd8ad8';
export const GRANDCHILD_ID = '1a2b3c4d5e6f7081';
export const LINKED_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
export const LINKED_SPAN_ID = 'b7ad6b7169203331';

const controllerManager = {
  attributes: { [ATTR.serviceName]: 'kube-controller-manager', [ATTR.clusterName]: 'dev' },
};

/** A rollout: root (deployment) → child (replicaset scale) → grandchild (pod startup, failed). */
export function sampleTrace(): SpanData[] {
  return [
    {
      traceId: TRACE_ID,
      spanId: ROOT_ID,
      name: 'Deployment web rollout',
      kind: 'internal',
      startMs: 1700000000000.5,
      endMs: 1700000012345.678,
      resource: controllerManager,
      attributes: {
        [ATTR.operation]: OPERATION.deploymentRollout,
        [ATTR.namespaceName]: 'shop',
        [ATTR.revision]: 3,
        [ATTR.conditionType]: ['Available', 'Progressing'],
        [ATTR.imageCached]: false,
        'test.ratio': 0.75,
      },
      events: [],
      links: [],
      status: { code: 'ok' },
    },
    {
      traceId: TRACE_ID,
      spanId: CHILD_ID,
      parentSpanId: ROOT_ID,
      name: 'ReplicaSet web-7d4b9 scale',
      kind: 'internal',
      startMs: 1700000000100.25,
      endMs: 1700000010000,
      // An equal resource built with another key order must land in the same resourceSpans.
      resource: {
        attributes: { [ATTR.clusterName]: 'dev', [ATTR.serviceName]: 'kube-controller-manager' },
      },
      attributes: { [ATTR.replicasFrom]: 0, [ATTR.replicasTo]: 2 },
      events: [
        {
          name: 'SuccessfulCreate',
          timeMs: 1700000000200.001,
          attributes: { [ATTR.eventReason]: 'SuccessfulCreate', [ATTR.eventCount]: 2 },
        },
      ],
      links: [
        {
          traceId: LINKED_TRACE_ID,
          spanId: LINKED_SPAN_ID,
          attributes: { [ATTR.operation]: OPERATION.deploymentUpdate },
        },
      ],
      status: { code: 'unset' },
    },
    {
      traceId: TRACE_ID,
      spanId: GRANDCHILD_ID,
      parentSpanId: CHILD_ID,
      name: 'Pod web-7d4b9-x2x9q startup',
      kind: 'server',
      startMs: 1700000000300.123,
      endMs: 1700000009000.999,
      resource: {
        attributes: {
          [ATTR.serviceName]: 'kubelet',
          [ATTR.clusterName]: 'dev',
          [ATTR.nodeName]: 'node-1',
        },
      },
      attributes: { [ATTR.outcome]: OUTCOME.failed, [ATTR.restartCount]: 1 },
      events: [
        {
          name: 'BackOff',
          timeMs: 1700000005000.75,
          attributes: {
            [ATTR.eventType]: 'Warning',
            [ATTR.eventNote]: 'Back-off "pulling" <image>',
          },
        },
      ],
      links: [],
      status: { code: 'error', message: 'ImagePullBackOff' },
    },
  ];
}
