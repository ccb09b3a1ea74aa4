// Tor start-up screens: the progress bar with its phase, and each failure screen saying what
// to do.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/tui/components/App.js';
import { TorProgress } from '../../src/tui/components/TorProgress.js';
import { initialTor, torProblem, torProgress } from '../../src/tui/state/tor.js';
import { FakeCore } from './support/fake-core.js';
import { KEY, frameWhere, press, settle, until } from './support/ui.js';

describe('TorProgress', () => {
  it('draws a bar with percent and phase, in plain characters', () => {
    const r = render(
      <TorProgress tor={torProgress(initialTor, 50, 'Loading relay descriptors')} width={80} />,
    );
    const frame = r.lastFrame() ?? '';
    expect(frame).toMatch(/\[#+\.+\] 50%/);
    expect(frame).toContain('Loading relay descriptors');
    r.unmount();
  });

  const cases = [
    ['tor executable not found in PATH', 'Tor is not installed', 'sudo apt install tor'],
    ['Bootstrap stuck at 25% for 120 s', 'cannot connect to the Tor network', 'bridges'],
    ['Control port filtered: ADD_ONION refused', 'control port refused', 'onion-grater'],
  ] as const;
  for (const [summary, title, advice] of cases) {
    it(`explains "${summary}" and what to do`, () => {
      const tor = torProblem(initialTor, summary, 'Core advice here.');
      const r = render(<TorProgress tor={tor} width={80} />);
      const frame = r.lastFrame() ?? '';
      expect(frame).toContain(title);
      expect(frame).toContain(advice);
      expect(frame).toContain(`Tor says: ${summary}`);
      expect(frame).toContain('What to do: Core advice here.');
      r.unmount();
    });
  }

  it('in the App: q quits while tor is still starting', async () => {
    const core = new FakeCore();
    let quits = 0;
    const r = render(
      <App
        core={core}
        protectedProfile
        ownAddress={null}
        bell={false}
        colour={false}
        onQuit={() => quits++}
      />,
    );
    await settle();
    core.emit({
      type: 'tor-problem',
      summary: 'tor executable not found',
      recommendation: 'Install tor.',
    });
    await frameWhere(r, (f) => expect(f).toContain('Tor is not installed'));
    await press(r, 'q');
    await until(() => expect(quits).toBe(1));
    await press(r, KEY.ctrlC);
    await until(() => expect(quits).toBe(2));
    r.unmount();
  });
});
