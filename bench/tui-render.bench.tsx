// Render cost of the terminal UI with a 1,000-message conversation: the first full render of
// the main screen, one re-render after a new message arrives, and reducing 1,000 message events.
// Run: npx vitest bench --run bench/tui-render.bench.tsx
import { render } from 'ink-testing-library';
import { bench, describe } from 'vitest';
import type { CoreEvent } from '../src/api/core-api.js';
import { MainScreen } from '../src/tui/components/MainScreen.js';
import { initialState, reducer } from '../src/tui/state/reducer.js';
import type { UiState } from '../src/tui/state/types.js';

const ALICE = `ricochet:${'a'.repeat(56)}`;
const NOW = 1_800_000_000_000;
const MESSAGES = 1000;

const events: CoreEvent[] = Array.from({ length: MESSAGES }, (_, i) => ({
  type: 'message',
  address: ALICE,
  id: i,
  text: `message ${i}: ${'lorem ipsum dolor sit amet '.repeat((i % 5) + 1)}`,
  timeDelta: -(i % 200),
}));

function loaded(): UiState {
  let state = initialState({ protectedProfile: true, ownAddress: ALICE, bell: false });
  state = reducer(state, {
    type: 'core',
    event: {
      type: 'contacts',
      contacts: [
        { address: ALICE, nickname: 'alice', status: 'online', historyEnabled: true, unread: 0 },
      ],
    },
    now: NOW,
  });
  for (const event of events) state = reducer(state, { type: 'core', event, now: NOW });
  return reducer(reducer(state, { type: 'select', address: ALICE }), {
    type: 'focus',
    focus: 'composer',
  });
}

const base = loaded();
const next = reducer(base, {
  type: 'core',
  event: { type: 'message', address: ALICE, id: MESSAGES, text: 'one more', timeDelta: 0 },
  now: NOW,
});

describe(`conversation with ${MESSAGES} messages at 80×24`, () => {
  bench('first render of the main screen', () => {
    const r = render(<MainScreen state={base} width={80} height={23} now={NOW} />);
    r.unmount();
  });

  const live = render(<MainScreen state={base} width={80} height={23} now={NOW} />);
  let flip = false;
  bench('re-render after one new message', () => {
    flip = !flip;
    live.rerender(<MainScreen state={flip ? next : base} width={80} height={23} now={NOW} />);
  });

  bench(`reduce ${MESSAGES} incoming message events (sanitise + store)`, () => {
    loaded();
  });
});
