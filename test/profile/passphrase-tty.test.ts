// promptPassphrase on a real pseudo-terminal: python3's pty module gives the child node process a
// real TTY on stdin; we check that nothing is echoed and that `stty` shows the mode restored.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const SRC = new URL('../../src/', import.meta.url).pathname;

/** Transpile passphrase.ts (and its imports) to plain ESM the child node process can run. */
async function buildChild(dir: string): Promise<string> {
  await mkdir(join(dir, 'profile'));
  await mkdir(join(dir, 'fs'));
  for (const name of ['profile/passphrase', 'profile/errors', 'fs/read-bounded']) {
    const source = await readFile(join(SRC, `${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    await writeFile(join(dir, `${name}.js`), outputText);
  }
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  const child = join(dir, 'child.js');
  await writeFile(
    child,
    `import { execFileSync } from 'node:child_process';
     import { promptPassphrase } from './profile/passphrase.js';
     let outcome;
     try {
       const p = await promptPassphrase('Passphrase: ');
       outcome = p === 'sekrit ☕' ? 'MATCH' : 'MISMATCH';
     } catch (error) {
       outcome = 'ERROR ' + error.name;
     }
     const stty = execFileSync('stty', ['-a'], { stdio: ['inherit', 'pipe', 'pipe'] }).toString();
     const echo = /(^|\\s)-echo(\\s|$)/.test(stty) ? 'echo-off' : 'echo-on';
     const icanon = /(^|\\s)-icanon(\\s|$)/.test(stty) ? 'icanon-off' : 'icanon-on';
     process.stdout.write('RESULT ' + outcome + ' ' + echo + ' ' + icanon + '\\n');`,
  );
  return child;
}

const DRIVER = `
import os, pty, sys
child, keys = sys.argv[1], sys.argv[2].encode('utf-8').decode('unicode_escape').encode('latin-1')
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[3], [sys.argv[3], child])
out = b''
while b'Passphrase: ' not in out:
    chunk = os.read(fd, 1024)
    if not chunk:
        break
    out += chunk
os.write(fd, keys)
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
`;

function havePython(): boolean {
  return spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;
}

function runOnPty(child: string, keys: string): string {
  return execFileSync('python3', ['-c', DRIVER, child, keys, process.execPath], {
    encoding: 'utf8',
    timeout: 15_000,
  });
}

describe('promptPassphrase on a real terminal', () => {
  it('reads without echo and restores cooked mode with echo', async () => {
    expect(havePython()).toBe(true);
    const child = await buildChild(await tempDir());
    // "sekriX", backspace, "t ☕" (UTF-8 bytes), Enter
    const out = runOnPty(child, 'sekriX\\x7ft \\xe2\\x98\\x95\\r');
    expect(out).not.toContain('sekri');
    expect(out).toContain('RESULT MATCH echo-on icanon-on');
  });

  it('restores the terminal when the user presses Ctrl-C', async () => {
    const child = await buildChild(await tempDir());
    const out = runOnPty(child, 'abc\\x03');
    expect(out).not.toContain('abc');
    expect(out).toContain('RESULT ERROR PassphraseAbortedError echo-on icanon-on');
  });
});
