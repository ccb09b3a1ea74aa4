// The start screens the CLI shows before the core runs: create a profile (passphrase twice with
// a strength hint, or explicitly unprotected) and unlock.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { CreateProfile } from '../../src/tui/components/CreateProfile.js';
import { Unlock } from '../../src/tui/components/Unlock.js';
import { KEY, frameWhere, press, settle, until } from './support/ui.js';

const hint = (pass: string): string => (pass.length < 12 ? 'weak: use more words' : 'good');

describe('CreateProfile', () => {
  it('asks twice, hides the passphrase, shows the strength hint and creates', async () => {
    const created: (string | null)[] = [];
    const r = render(
      <CreateProfile
        strengthHint={hint}
        onCreate={(p) => created.push(p)}
        onQuit={() => undefined}
      />,
    );
    await settle();
    await press(r, 'short');
    let frame = await frameWhere(r, (f) => expect(f).toContain('weak: use more words'));
    expect(frame).not.toContain('short');
    expect(frame).toContain('Passphrase: *****');
    await press(r, ' and much longer');
    await frameWhere(r, (f) => expect(f).toContain('Strength: good'));
    await press(r, KEY.enter, 'short and much longer', KEY.enter);
    await until(() => expect(created).toEqual(['short and much longer']));
    frame = r.lastFrame() ?? '';
    expect(frame).not.toContain('much longer');
    r.unmount();
  });

  it('refuses two different passphrases', async () => {
    const created: (string | null)[] = [];
    const r = render(
      <CreateProfile
        strengthHint={hint}
        onCreate={(p) => created.push(p)}
        onQuit={() => undefined}
      />,
    );
    await settle();
    await press(r, 'correct horse', KEY.tab, 'correct hose', KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('The two passphrases differ'));
    expect(created).toEqual([]);
    r.unmount();
  });

  it('creates an unprotected profile only after an explicit warning and y', async () => {
    const created: (string | null)[] = [];
    const r = render(
      <CreateProfile
        strengthHint={hint}
        onCreate={(p) => created.push(p)}
        onQuit={() => undefined}
      />,
    );
    await settle();
    await press(r, KEY.ctrlN);
    await frameWhere(r, (f) => expect(f).toContain('WITHOUT a passphrase'));
    await press(r, 'n');
    await frameWhere(r, (f) => expect(f).toContain('Create your Sotto profile'));
    expect(created).toEqual([]);
    await press(r, KEY.ctrlN, 'y');
    await until(() => expect(created).toEqual([null]));
    r.unmount();
  });

  it('an empty passphrase is not accepted; Ctrl+C quits', async () => {
    let quits = 0;
    const r = render(
      <CreateProfile strengthHint={hint} onCreate={() => undefined} onQuit={() => quits++} />,
    );
    await settle();
    await press(r, KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('Type a passphrase'));
    await press(r, KEY.ctrlC);
    await until(() => expect(quits).toBe(1));
    r.unmount();
  });
});

describe('Unlock', () => {
  it('submits the hidden passphrase and shows an error passed back', async () => {
    const tries: string[] = [];
    const r = render(<Unlock onUnlock={(p) => tries.push(p)} onQuit={() => undefined} />);
    await settle();
    await press(r, 'secret words');
    const frame = await frameWhere(r, (f) => expect(f).toContain('************'));
    expect(frame).not.toContain('secret');
    await press(r, KEY.enter);
    await until(() => expect(tries).toEqual(['secret words']));
    r.rerender(
      <Unlock onUnlock={(p) => tries.push(p)} onQuit={() => undefined} error="Wrong passphrase." />,
    );
    await frameWhere(r, (f) => expect(f).toContain('Wrong passphrase.'));
    r.unmount();
  });

  it('does not submit while busy', async () => {
    const tries: string[] = [];
    const r = render(<Unlock onUnlock={(p) => tries.push(p)} onQuit={() => undefined} busy />);
    await settle();
    await press(r, 'x', KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('Unlocking…'));
    expect(tries).toEqual([]);
    r.unmount();
  });
});
