// The single-file build for a USB stick: bin/sotto.js and everything it loads (dist/, the
// dependencies, Ink's WebAssembly layout engine) as ONE ES module, `sotto.mjs`, that runs with a
// stock `node` >= 20.19, plus `sotto.mjs.sha256` in sha256sum's format. Built straight from the
// TypeScript sources (bin/sotto.js's import of dist/ is pointed at src/), so no stale dist/ can
// slip in:   node scripts/bundle.js [OUTDIR]   (default release/; same as `npm run bundle`)
// Dependencies' licence comments are kept at the end of the file (they are MIT/ISC licensed and
// ask for their notices to travel with copies). No source map is written.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const outDir = resolve(process.argv[2] ?? join(root, 'release'));
const outfile = join(outDir, 'sotto.mjs');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

await build({
  entryPoints: [join(root, 'bin', 'sotto.js')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  outfile,
  legalComments: 'eof',
  logLevel: 'warning',
  define: { __SOTTO_VERSION__: JSON.stringify(version) },
  // Ink loads react-devtools-core only with DEV=true, to connect to a devtools server: never here.
  alias: { 'react-devtools-core': join(root, 'scripts', 'devtools-off.js') },
  // Bundled CommonJS dependencies call require() for Node's built-in modules.
  plugins: [
    {
      name: 'sources-not-dist',
      setup(pluginBuild) {
        pluginBuild.onResolve({ filter: /\/dist\/src\/cli\/main\.js$/ }, () => ({
          path: join(root, 'src', 'cli', 'main.ts'),
        }));
      },
    },
  ],
  banner: {
    js: "import { createRequire as __sottoRequire } from 'node:module';\nconst require = __sottoRequire(import.meta.url);",
  },
});

const digest = createHash('sha256').update(readFileSync(outfile)).digest('hex');
writeFileSync(`${outfile}.sha256`, `${digest}  ${basename(outfile)}\n`);
process.stdout.write(`${outfile}\n${digest}  ${basename(outfile)}\n`);
