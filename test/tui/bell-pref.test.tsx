// The bell switch (n) reports each change through onBellChange so the CLI can save it; nothing is
// reported at start-up.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/tui/components/App.js';
import { FakeCore } from './support/fake-core.js';
import { ricochetIdFor } from './support/ids.js';
import { frameWhere, press, settle } from './support/ui.js';

const ME = ricochetIdFor(1);

describe('App bell preference', () => {
  it('calls onBellChange on every toggle, never at start', async () => {
    const core = new FakeCore();
    const changes: boolean[] = [];
    const r = render(
      <App
        core={core}
        protectedProfile
        ownAddress={ME}
        bell
        colour={false}
        onQuit={() => undefined}
        onBellChange={(bell) => changes.push(bell)}
        ringBell={() => undefined}
        width={80}
        height={24}
      />,
    );
    await settle();
    core.emit({ type: 'published', address: ME }, { type: 'contacts', contacts: [] });
    await frameWhere(r, (f) => expect(f).toContain('bell on'));
    expect(changes).toEqual([]);
    await press(r, 'n');
    await frameWhere(r, (f) => expect(f).toContain('bell off'));
    await press(r, 'n');
    await frameWhere(r, (f) => expect(f).toContain('bell on'));
    expect(changes).toEqual([false, true]);
    r.unmount();
  });
});
