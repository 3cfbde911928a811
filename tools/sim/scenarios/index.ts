import { cronjob, jobRetries } from './batch-scenarios.js';
import { crashloop, failedScheduling, imagePullError, rollingUpdate, scaleUpDown } from './deployment-scenarios.js';
import { nodeNotReady } from './node-scenarios.js';
import type { Scenario } from './scenario.js';
import { daemonsetRollout, statefulsetRollout } from './set-scenarios.js';

/** Every scripted scenario, by name. */
export const SCENARIOS = [
  'rolling-update',
  'scale-up-down',
  'crashloop',
  'failed-scheduling',
  'image-pull-error',
  'job-retries',
  'cronjob',
  'statefulset-rollout',
  'daemonset-rollout',
  'node-not-ready',
] as const;

export type ScenarioName = (typeof SCENARIOS)[number];

export const SCENARIO_SCRIPTS: Readonly<Record<ScenarioName, Scenario>> = {
  'rolling-update': rollingUpdate,
  'scale-up-down': scaleUpDown,
  crashloop,
  'failed-scheduling': failedScheduling,
  'image-pull-error': imagePullError,
  'job-retries': jobRetries,
  cronjob,
  'statefulset-rollout': statefulsetRollout,
  'daemonset-rollout': daemonsetRollout,
  'node-not-ready': nodeNotReady,
};
