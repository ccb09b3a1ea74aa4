// The layering promised by docs/ARCHITECTURE.md, checked on the real sources: every import between
// folders is one that layers.json allows, the allowed graph has no cycle, every source folder has a
// place in it, and the doc's diagram is the one generated from layers.json. To regenerate the
// diagram after changing layers.json:
//   SOTTO_WRITE_LAYERS_DOC=1 npx vitest run --project unit test/architecture/layers.test.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ARCHITECTURE_DOC,
  crossFolderImports,
  documentedLayersBlock,
  levels,
  loadLayers,
  renderLayersBlock,
  sourceFolders,
} from './import-graph.js';

const layers = loadLayers();

describe('source layering (layers.json)', () => {
  it('places every source folder, and names only folders that exist', () => {
    expect(Object.keys(layers).sort()).toEqual(sourceFolders());
  });

  it('allows only edges between listed folders, and no cycle', () => {
    for (const { uses } of Object.values(layers)) {
      for (const folder of uses) expect(Object.keys(layers)).toContain(folder);
    }
    expect(() => levels(layers)).not.toThrow();
  });

  it('is what the sources do: no import runs against it', () => {
    const wrongWay = crossFolderImports()
      .filter(({ from, to }) => !(layers[from]?.uses ?? []).includes(to))
      .map(({ file, specifier, from, to }) => `${file}: '${specifier}' (${from} -> ${to})`);
    expect(wrongWay).toEqual([]);
  });

  it('finds the imports it checks (the scanner is not blind)', () => {
    const edges = crossFolderImports();
    expect(edges).toContainEqual(expect.objectContaining({ from: 'src/core', to: 'src/protocol' }));
    // A dynamic import counts too.
    expect(edges).toContainEqual(
      expect.objectContaining({ file: 'src/cli/session.ts', specifier: '../profile/errors.js' }),
    );
  });

  it('is drawn in docs/ARCHITECTURE.md exactly as generated', () => {
    const doc = readFileSync(ARCHITECTURE_DOC, 'utf8');
    const expected = renderLayersBlock(layers);
    const documented = documentedLayersBlock(doc);
    if (process.env['SOTTO_WRITE_LAYERS_DOC'] === '1' && documented !== undefined) {
      writeFileSync(ARCHITECTURE_DOC, doc.replace(documented, expected));
      return;
    }
    expect(documented).toBe(expected);
  });
});
