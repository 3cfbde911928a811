import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { isObject } from '../../src/model/kube-json.js';
import type { JsonObject } from '../../src/model/kube-json.js';

/**
 * Real Kubernetes data copied byte for byte into the repository (test/fixtures/corpus, see its
 * SOURCES.md for upstream, commit and license), so a clone needs nothing beside it. Corpus files are
 * read-only: tests copy them into temp dirs before changing anything.
 */
export const CORPUS_ROOT = new URL('../fixtures/corpus/', import.meta.url);

/** Folders of the corpus that tests use, relative to CORPUS_ROOT. */
export const CORPUS = {
  k9s: 'derailed__k9s/internal/render/testdata/',
  mustGather: 'openshift__must-gather-clean/pkg/cli/testfiles/release-4.8/namespaces/',
  khi: 'GoogleCloudPlatform__khi/test/',
  falco: 'falcosecurity__falco/test/trace_files/k8s_audit/',
  aks: 'sysdiglabs__aks-audit-log/',
  kubeBurner: 'afcollins__kube-audit-log-tool/testdata/',
  derived: 'derived/',
} as const;

/** Absolute file-system path of a corpus file. */
export function corpusPath(relative: string): string {
  return fileURLToPath(new URL(relative, CORPUS_ROOT));
}

export async function readCorpusText(relative: string): Promise<string> {
  return readFile(corpusPath(relative), 'utf8');
}

/** A corpus JSON file holding one object. Throws when it holds anything else. */
export async function readCorpusJson(relative: string): Promise<JsonObject> {
  return asObject(JSON.parse(await readCorpusText(relative)) as unknown, relative);
}

/** A corpus YAML file holding one object (comments and a leading `---` are fine). */
export async function readCorpusYaml(relative: string): Promise<JsonObject> {
  return asObject(parseYaml(await readCorpusText(relative)) as unknown, relative);
}

function asObject(value: unknown, relative: string): JsonObject {
  if (!isObject(value)) throw new Error(`corpus file ${relative} does not hold a JSON object`);
  return value;
}
