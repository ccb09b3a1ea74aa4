// Property: whatever strings a peer (or a confused core) puts in CoreEvents, nothing in the UI
// state or on screen contains a terminal control, a bidi/zero-width character or a lone surrogate.
import fc from 'fast-check';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../../src/api/core-api.js';
import { MainScreen } from '../../../src/tui/components/MainScreen.js';
import { StatusBar } from '../../../src/tui/components/StatusBar.js';
import { Transfers } from '../../../src/tui/components/Transfers.js';
import { initialState, reducer } from '../../../src/tui/state/reducer.js';
import type { UiState } from '../../../src/tui/state/types.js';

const A = `ricochet:${'a'.repeat(56)}`;
const NOW = 1_800_000_000_000;
// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/g;

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc
    .array(
      fc.constantFrom(
        '\x1b]8;;http://evil\x07',
        '\x1b]52;c;AA\x07',
        '\x1b[2J',
        '\u202e',
        '\u200b',
        '\u009b31m',
        '\u009d0;t\u009c',
        '\ud800',
        '\r',
        '\n',
        '\t',
        'ok',
        '\x07',
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join('')),
);

const event: fc.Arbitrary<CoreEvent> = fc.oneof(
  hostile.map((s): CoreEvent => ({ type: 'contact', address: A, status: 'online', nickname: s })),
  hostile.map((s): CoreEvent => ({
    type: 'contacts',
    contacts: [
      { address: A, nickname: s, status: 'offline', historyEnabled: true, unread: 1, lastError: s },
    ],
  })),
  fc
    .tuple(hostile, hostile)
    .map(([n, m]): CoreEvent => ({ type: 'request', address: A, nickname: n, message: m })),
  hostile.map((s): CoreEvent => ({ type: 'message', address: A, id: 1, text: s, timeDelta: -5 })),
  hostile.map((s): CoreEvent => ({ type: 'queued', address: A, id: 2, text: s })),
  hostile.map((s): CoreEvent => ({
    type: 'messages',
    address: A,
    messages: [
      { address: A, id: 3, direction: 'in', text: s, at: NOW, timeDelta: 0, state: 'delivered' },
    ],
  })),
  hostile.map((s): CoreEvent => ({ type: 'file-offer', address: A, fileId: 1, name: s, size: 10 })),
  // Our own offer's name is the local file's (sanitised by the core), still treated as hostile here.
  hostile.map((s): CoreEvent => ({
    type: 'file-offered',
    address: A,
    fileId: 2,
    name: s,
    size: 10,
  })),
  hostile.map((s): CoreEvent => ({
    type: 'file-done',
    address: A,
    fileId: 1,
    direction: 'in',
    result: 'success',
    path: s,
  })),
  fc.tuple(hostile, hostile).map(([c, m]): CoreEvent => ({ type: 'error', code: c, message: m })),
  hostile.map((s): CoreEvent => ({ type: 'tor', progress: 50, summary: s })),
  fc
    .tuple(hostile, hostile)
    .map(([s, r]): CoreEvent => ({ type: 'tor-problem', summary: s, recommendation: r })),
);

/** Any character a terminal could act on or that hides/reorders text. */
function forbidden(text: string): boolean {
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp === 0x0a) continue;
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return true;
    if (cp >= 0xd800 && cp <= 0xdfff) return true;
    if (/\p{Cf}/u.test(ch)) return true;
  }
  return false;
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value)) strings(v, out);
  return out;
}

function reduceAll(events: readonly CoreEvent[]): UiState {
  const start = reducer(initialState({ protectedProfile: true, ownAddress: A, bell: false }), {
    type: 'select',
    address: A,
  });
  return events.reduce((s, e) => reducer(s, { type: 'core', event: e, now: NOW }), start);
}

describe('hostile CoreEvents', () => {
  it('never leave a forbidden character anywhere in the UI state', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 15 }), (events) => {
        const state = reduceAll(events);
        for (const s of strings(state)) expect(forbidden(s), JSON.stringify(s)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('never put a forbidden character on screen', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 10 }), (events) => {
        const state = reduceAll(events);
        const frames = [
          render(<MainScreen state={state} width={80} height={22} now={NOW} />),
          render(
            <Transfers
              transfers={state.transfers}
              nameOf={() => 'x'}
              onAccept={() => undefined}
              onReject={() => undefined}
              onCancelTransfer={() => undefined}
              onOpen={() => undefined}
              onClose={() => undefined}
            />,
          ),
          render(
            <StatusBar
              ownAddress={A}
              online={0}
              protectedProfile
              tor={state.tor}
              bell
              requests={0}
              offers={0}
              error={state.lastError}
            />,
          ),
        ];
        for (const r of frames) {
          // Ink's own styling (SGR, only when colour is forced on) is the one allowed sequence.
          const frame = (r.lastFrame() ?? '').replace(SGR, '');
          expect(forbidden(frame), JSON.stringify(frame)).toBe(false);
          r.unmount();
        }
      }),
      { numRuns: 40 },
    );
  });
});
