// The folder-level import graph of the sources (src/<folder>/ and tor/), read with TypeScript's own
// import scanner, and the layering table (layers.json) it must follow; renders the dependency
// diagram that docs/ARCHITECTURE.md shows between its `layers:begin` / `layers:end` markers.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const LAYERS_FILE = join(REPO_ROOT, 'layers.json');
export const ARCHITECTURE_DOC = join(REPO_ROOT, 'docs/ARCHITECTURE.md');
export const BLOCK_BEGIN =
  '<!-- layers:begin (generated from layers.json, see test/architecture) -->';
export const BLOCK_END = '<!-- layers:end -->';

export interface Layer {
  readonly uses: readonly string[];
  readonly about: string;
}
export type Layers = Readonly<Record<string, Layer>>;

export function loadLayers(): Layers {
  const parsed = JSON.parse(readFileSync(LAYERS_FILE, 'utf8')) as { layers: Layers };
  return parsed.layers;
}

/** `src/<folder>` for a file below src/, `tor` for one below tor/, else undefined. */
export function folderOf(repoPath: string): string | undefined {
  const parts = repoPath.split(sep);
  if (parts[0] === 'tor') return 'tor';
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  return undefined;
}

/** The top-level source folders that exist on disk: every `src/<dir>` and `tor`. */
export function sourceFolders(): string[] {
  const dirs = readdirSync(join(REPO_ROOT, 'src'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `src/${entry.name}`);
  return [...dirs, 'tor'].sort();
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name))
    .map((entry) => relative(REPO_ROOT, join(entry.parentPath, entry.name)));
}

export interface ImportEdge {
  readonly from: string; // folder
  readonly to: string; // folder
  readonly file: string; // the importing file, repo-relative
  readonly specifier: string;
}

/** Every relative import (static, dynamic, re-export) that crosses from one folder to another. */
export function crossFolderImports(): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of [...sourceFiles('src'), ...sourceFiles('tor')]) {
    const from = folderOf(file);
    if (from === undefined) continue;
    const scanned = ts.preProcessFile(readFileSync(join(REPO_ROOT, file), 'utf8'), true, true);
    for (const { fileName: specifier } of scanned.importedFiles) {
      if (!specifier.startsWith('.')) continue;
      const target = relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), specifier));
      const to = folderOf(target) ?? target;
      if (to !== from) edges.push({ from, to, file, specifier });
    }
  }
  return edges;
}

/** A folder's level: 0 for one that uses nothing, else one above the highest folder it uses. */
export function levels(layers: Layers): Map<string, number> {
  const result = new Map<string, number>();
  const visiting = new Set<string>();
  const level = (folder: string): number => {
    const known = result.get(folder);
    if (known !== undefined) return known;
    if (visiting.has(folder)) throw new Error(`layers.json has a cycle through ${folder}`);
    visiting.add(folder);
    const uses = layers[folder]?.uses ?? [];
    const value = uses.length === 0 ? 0 : 1 + Math.max(...uses.map(level));
    visiting.delete(folder);
    result.set(folder, value);
    return value;
  };
  for (const folder of Object.keys(layers)) level(folder);
  return result;
}

/** The allowed edges without those implied by a longer path (what the diagram draws). */
export function directEdges(layers: Layers): [string, string][] {
  const reaches = (from: string, to: string, skip: string): boolean => {
    const stack = (layers[from]?.uses ?? []).filter((next) => !(from === skip && next === to));
    const seen = new Set<string>();
    while (stack.length > 0) {
      const folder = stack.pop() as string;
      if (folder === to) return true;
      if (seen.has(folder)) continue;
      seen.add(folder);
      stack.push(...(layers[folder]?.uses ?? []));
    }
    return false;
  };
  const edges: [string, string][] = [];
  for (const [from, { uses }] of Object.entries(layers)) {
    for (const to of uses) if (!reaches(from, to, from)) edges.push([from, to]);
  }
  return edges;
}

/** The block docs/ARCHITECTURE.md carries between the markers, markers included. */
export function renderLayersBlock(layers: Layers): string {
  const levelOf = levels(layers);
  const byLevel = Object.keys(layers).sort(
    (a, b) => (levelOf.get(b) ?? 0) - (levelOf.get(a) ?? 0) || a.localeCompare(b),
  );
  const width = Math.max(...byLevel.map((folder) => folder.length));
  const indent = ' '.repeat(width + 6);
  const table = byLevel.map((folder) => {
    const layer = layers[folder] as Layer;
    const lines = [
      `${String(levelOf.get(folder)).padStart(3)}  ${folder.padEnd(width)}  ${layer.about}`,
    ];
    let line = `${indent}uses:`;
    for (const used of layer.uses.length > 0 ? [...layer.uses].sort() : ['(nothing)']) {
      if (line.length + used.length + 1 > 100) {
        lines.push(line);
        line = `${indent}     `;
      }
      line += ` ${used}`;
    }
    return [...lines, line].join('\n');
  });
  const nodeId = (folder: string): string => folder.replace(/\W/g, '_');
  const mermaid = [
    'flowchart TD',
    ...byLevel.map((folder) => `  ${nodeId(folder)}["${folder}/"]`),
    ...directEdges(layers)
      .sort(
        ([a1, b1], [a2, b2]) =>
          byLevel.indexOf(a1) - byLevel.indexOf(a2) || a1.localeCompare(a2) || b1.localeCompare(b2),
      )
      .map(([from, to]) => `  ${nodeId(from)} --> ${nodeId(to)}`),
  ];
  return [
    BLOCK_BEGIN,
    '',
    '```text',
    `lvl  ${'folder'.padEnd(width)}  what it is`,
    `${indent}uses: the only folders it may import (enforced by eslint)`,
    ...table,
    '```',
    '',
    '```mermaid',
    ...mermaid,
    '```',
    '',
    BLOCK_END,
  ].join('\n');
}

/** The block as it stands in docs/ARCHITECTURE.md now (undefined without markers). */
export function documentedLayersBlock(doc: string): string | undefined {
  const begin = doc.indexOf(BLOCK_BEGIN);
  const end = doc.indexOf(BLOCK_END);
  if (begin < 0 || end < begin) return undefined;
  return doc.slice(begin, end + BLOCK_END.length);
}
