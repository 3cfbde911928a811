export { runScenario, DEFAULT_START_MS } from './run-scenario.js';
export type { ScenarioOptions } from './run-scenario.js';
export { SCENARIOS } from './scenarios/index.js';
export type { ScenarioName } from './scenarios/index.js';
export { writeRecording, writeRecordingStream, watchLineJson } from './write-recording.js';
export type { AuditEventJson, KubeJson, Recording, WatchLine, WatchEventType } from './types.js';
export { generateWorkload, workloadPlan } from './workload.js';
export type { WorkloadOptions } from './workload.js';
