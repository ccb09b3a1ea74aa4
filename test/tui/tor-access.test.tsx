// The UI says which running tor Sotto attached to when its control port took no password or
// cookie (Tails' filter, a Whonix gateway, or a port the user vouched for with
// --tor-control-no-auth): the core's `tor-access` event reaches the status bar in words.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { StatusBar } from '../../src/tui/components/StatusBar.js';
import { initialState, reducer } from '../../src/tui/state/reducer.js';

function statusLine(access: Extract<CoreEvent, { type: 'tor-access' }>['access']): string {
  const state = reducer(initialState({ protectedProfile: true, ownAddress: null, bell: false }), {
    type: 'core',
    event: { type: 'tor-access', access },
    now: 0,
  });
  const view = render(
    <StatusBar
      ownAddress={null}
      online={0}
      protectedProfile
      tor={state.tor}
      bell={false}
      requests={0}
      offers={0}
      error={null}
    />,
  );
  const frame = view.lastFrame() ?? '';
  view.unmount();
  return frame;
}

describe('status bar: how Sotto got into the running tor', () => {
  it.each([
    ['tails', 'via Tails filter'],
    ['whonix', 'via Whonix gateway'],
    ['user-opt-in', 'via UNAUTHENTICATED control port'],
  ] as const)('%s → "%s"', (access, words) => {
    expect(statusLine(access)).toContain(words);
  });

  it('adds nothing for a port that checked our cookie or password', () => {
    expect(statusLine('authenticated')).toMatch(/tor 0% \| bell off/u);
  });
});
