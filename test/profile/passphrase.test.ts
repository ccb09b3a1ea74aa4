import { closeSync, openSync } from 'node:fs';
import { chmod, chown, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  PassphraseAbortedError,
  PassphraseFileError,
  PassphraseInputError,
  applyTerminalInput,
  promptPassphrase,
  readPassphraseFd,
  readPassphraseFile,
} from '../../src/profile/passphrase.js';
import { tempDir } from './helpers.js';
import { passphraseStrength } from '../../src/profile/passphrase-strength.js';

async function passFile(content: string | Buffer, mode = 0o600): Promise<string> {
  const path = join(await tempDir(), 'pass');
  await writeFile(path, content, { mode });
  await chmod(path, mode);
  return path;
}

describe('readPassphraseFile', () => {
  it('reads 0600 and 0400 files and strips exactly one trailing newline', async () => {
    expect(await readPassphraseFile(await passFile('secret\n'))).toBe('secret');
    expect(await readPassphraseFile(await passFile('secret\n\n', 0o400))).toBe('secret\n');
    expect(await readPassphraseFile(await passFile('secret\r\n'))).toBe('secret');
    expect(await readPassphraseFile(await passFile(' spaced secret '))).toBe(' spaced secret ');
  });

  it('refuses files readable by group or others, naming the chmod', async () => {
    for (const mode of [0o640, 0o604, 0o644, 0o660]) {
      const path = await passFile('secret', mode);
      const error = await readPassphraseFile(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PassphraseFileError);
      expect((error as Error).message).toContain(`chmod 600 '${path}'`);
    }
  });

  it('refuses files owned by someone else', async () => {
    if (process.getuid?.() !== 0) return; // needs root to chown; CI runs as root
    const path = await passFile('secret');
    await chown(path, 65534, 65534);
    await expect(readPassphraseFile(path)).rejects.toBeInstanceOf(PassphraseFileError);
  });

  it('refuses symlinks, directories, empty, oversize and non-UTF-8 files', async () => {
    const real = await passFile('secret');
    const link = join(await tempDir(), 'link');
    await symlink(real, link);
    await expect(readPassphraseFile(link)).rejects.toBeInstanceOf(PassphraseFileError);
    const dir = await tempDir();
    await chmod(dir, 0o700);
    await expect(readPassphraseFile(dir)).rejects.toBeInstanceOf(PassphraseFileError);
    await expect(readPassphraseFile(await passFile('\n'))).rejects.toBeInstanceOf(
      PassphraseInputError,
    );
    await expect(readPassphraseFile(await passFile('x'.repeat(5000)))).rejects.toBeInstanceOf(
      PassphraseFileError,
    );
    await expect(
      readPassphraseFile(await passFile(Buffer.from([0xff, 0xfe]))),
    ).rejects.toBeInstanceOf(PassphraseInputError);
    await expect(readPassphraseFile(join(dir, 'missing'))).rejects.toBeInstanceOf(
      PassphraseFileError,
    );
  });
});

describe('readPassphraseFd', () => {
  it('reads an inherited descriptor to EOF and strips one newline', async () => {
    const fd = openSync(await passFile('from fd\n'), 'r');
    try {
      expect(await readPassphraseFd(fd)).toBe('from fd');
    } finally {
      closeSync(fd);
    }
  });

  it('refuses bad descriptors and oversize input', async () => {
    await expect(readPassphraseFd(-1)).rejects.toBeInstanceOf(PassphraseInputError);
    await expect(readPassphraseFd(987654)).rejects.toBeInstanceOf(PassphraseInputError);
    const fd = openSync(await passFile('y'.repeat(10_000)), 'r');
    try {
      await expect(readPassphraseFd(fd)).rejects.toBeInstanceOf(PassphraseInputError);
    } finally {
      closeSync(fd);
    }
  });
});

describe('terminal line editor', () => {
  const type = (...chunks: string[]) => {
    let chars: readonly string[] = [];
    for (const chunk of chunks) {
      const result = applyTerminalInput(chars, chunk);
      if (result.kind !== 'continue') return result;
      chars = result.chars;
    }
    return { kind: 'continue' as const, chars };
  };

  it('handles enter, backspace, ctrl-u, escapes and multibyte characters', () => {
    expect(type('abc\r')).toEqual({ kind: 'done', chars: ['a', 'b', 'c'] });
    expect(type('ab', '\x7f', 'c\n')).toEqual({ kind: 'done', chars: ['a', 'c'] });
    expect(type('xyz\x15ok\r')).toEqual({ kind: 'done', chars: ['o', 'k'] });
    expect(type('a\x1b[Db\r')).toEqual({ kind: 'done', chars: ['a', 'b'] });
    expect(type('é☕😀\x08\r')).toEqual({ kind: 'done', chars: ['é', '☕'] });
    expect(type('a', '\x01\x02b\r')).toEqual({ kind: 'done', chars: ['a', 'b'] });
  });

  it('aborts on ctrl-c, and on ctrl-d only when the line is empty', () => {
    expect(type('abc\x03')).toEqual({ kind: 'abort' });
    expect(type('\x04')).toEqual({ kind: 'abort' });
    expect(type('a\x04b\r')).toEqual({ kind: 'done', chars: ['a', 'b'] });
  });
});

/** A stdin stand-in with the TTY surface promptPassphrase uses (no real TTY in CI). */
function fakeTty(): PassThrough & {
  isTTY: boolean;
  isRaw: boolean;
  rawCalls: boolean[];
  setRawMode(m: boolean): void;
} {
  const stream = new PassThrough() as PassThrough & {
    isTTY: boolean;
    isRaw: boolean;
    rawCalls: boolean[];
    setRawMode(m: boolean): void;
  };
  stream.isTTY = true;
  stream.isRaw = false;
  stream.rawCalls = [];
  stream.setRawMode = (mode: boolean) => {
    stream.isRaw = mode;
    stream.rawCalls.push(mode);
  };
  return stream;
}

describe('promptPassphrase', () => {
  it('reads without echo and restores the terminal mode', async () => {
    const input = fakeTty();
    const output = new PassThrough();
    let echoed = '';
    output.on('data', (d: Buffer) => (echoed += d.toString()));
    const result = promptPassphrase('Passphrase: ', {
      input: input as unknown as NodeJS.ReadStream,
      output,
    });
    input.write('hunter');
    input.write('2\r');
    expect(await result).toBe('hunter2');
    expect(input.rawCalls).toEqual([true, false]);
    expect(echoed).toBe('Passphrase: \n');
  });

  it('restores the mode when cancelled or when input ends', async () => {
    for (const finish of [(s: PassThrough) => s.write('ab\x03'), (s: PassThrough) => s.end()]) {
      const input = fakeTty();
      const result = promptPassphrase('P: ', {
        input: input as unknown as NodeJS.ReadStream,
        output: new PassThrough(),
      });
      finish(input);
      await expect(result).rejects.toBeInstanceOf(PassphraseAbortedError);
      expect(input.isRaw).toBe(false);
    }
  });

  it('refuses a non-terminal stdin', async () => {
    const input = new PassThrough() as unknown as NodeJS.ReadStream;
    await expect(
      promptPassphrase('P: ', { input, output: new PassThrough() }),
    ).rejects.toBeInstanceOf(PassphraseInputError);
  });
});

describe('passphraseStrength', () => {
  it('ranks common, short, repetitive and long passphrases', () => {
    expect(passphraseStrength('password').score).toBe(0);
    expect(passphraseStrength('Password').score).toBe(0);
    expect(passphraseStrength('abc').score).toBe(0);
    expect(passphraseStrength('aaaaaaaaaaaaaaaaaaaaaaaa').score).toBe(0);
    expect(passphraseStrength('tr0ub4dor&3').score).toBeGreaterThanOrEqual(2);
    expect(passphraseStrength('orbit lantern gravel whisky meadow').score).toBe(4);
    expect(passphraseStrength('short').warnings.length).toBeGreaterThan(0);
  });
});
