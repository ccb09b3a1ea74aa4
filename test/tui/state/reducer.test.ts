// Unit tests for the UI reducers: CoreEvents and user actions in, UI state out (no rendering).
import { describe, expect, it } from 'vitest';
import { IncomingRequests } from '../../../src/contacts/incoming-requests.js';
import { MAX_PENDING_REQUESTS, type CoreEvent } from '../../../src/api/core-api.js';
import type { UiAction } from '../../../src/tui/state/actions.js';
import { listEntries } from '../../../src/tui/state/contacts.js';
import { initialState, reducer } from '../../../src/tui/state/reducer.js';
import { FINISHED_TRANSFERS_KEPT } from '../../../src/tui/state/transfers.js';
import type { UiState } from '../../../src/tui/state/types.js';

const A = `ricochet:${'a'.repeat(56)}`;
const B = `ricochet:${'b'.repeat(56)}`;
const C = `ricochet:${'c'.repeat(56)}`;
const NOW = 1_800_000_000_000;

function run(actions: readonly UiAction[], from?: UiState): UiState {
  return actions.reduce(
    reducer,
    from ?? initialState({ protectedProfile: true, ownAddress: null, bell: true }),
  );
}
const core = (event: CoreEvent, now = NOW): UiAction => ({ type: 'core', event, now });

const contactsEvent = core({
  type: 'contacts',
  contacts: [
    { address: A, nickname: 'alice', status: 'offline', historyEnabled: true, unread: 0 },
    { address: B, nickname: 'bob', status: 'online', historyEnabled: false, unread: 2 },
    { address: C, nickname: 'carol', status: 'blocked', historyEnabled: true, unread: 0 },
  ],
});

describe('contact list', () => {
  it('orders online contacts first and follows online/offline/contact events', () => {
    let s = run([contactsEvent]);
    expect(listEntries(s).map((e) => e.address)).toEqual([B, A, C]);
    expect(s.selected).toEqual({ kind: 'contact', address: B });
    s = run([core({ type: 'online', address: A }), core({ type: 'offline', address: B })], s);
    expect(s.contacts.find((c) => c.address === A)?.status).toBe('online');
    expect(listEntries(s).map((e) => e.address)).toEqual([A, B, C]);
    s = run([core({ type: 'contact', address: C, status: 'removed-us', nickname: 'carol' })], s);
    expect(s.contacts.find((c) => c.address === C)?.status).toBe('removed-us');
    s = run([core({ type: 'contact-removed', address: C })], s);
    expect(s.contacts.map((c) => c.address)).not.toContain(C);
  });

  it('puts incoming requests in their own section first and drops them once resolved', () => {
    let s = run([
      contactsEvent,
      core({ type: 'request', address: C, nickname: 'x', message: 'hi' }),
    ]);
    expect(listEntries(s)[0]).toEqual({ kind: 'request', address: C });
    expect(s.requests[0]?.receivedAt).toBe(NOW);
    expect(s.alerts).toBe(1);
    s = run([{ type: 'request-resolved', address: C }], s);
    expect(s.requests).toHaveLength(0);
  });

  it('mirrors the core request store: requests the core drops leave the UI too (bounded)', () => {
    // The real store's own events, for more strangers than it keeps (issue 10: 968 shown, 100 held).
    const store = new IncomingRequests(0);
    let s = run([contactsEvent]);
    const addressOf = (i: number): string => `ricochet:${i.toString(32).padStart(56, 'a')}`;
    for (let i = 0; i < 3 * MAX_PENDING_REQUESTS + 17; i++) {
      s = run(
        store.add(addressOf(i), '', `m${i}`, i).map((e) => core(e)),
        s,
      );
    }
    expect(store.sizes.pending).toBe(MAX_PENDING_REQUESTS);
    expect(s.requests.map((r) => r.address)).toEqual(store.list().map((r) => r.address));
    // An open dialog for a dropped request closes with it.
    const oldest = store.list()[0]!.address;
    s = run([{ type: 'open-dialog', dialog: { kind: 'request', address: oldest } }], s);
    s = run(
      store.add(addressOf(10_000), '', 'late', 1).map((e) => core(e)),
      s,
    );
    expect(s.requests.map((r) => r.address)).not.toContain(oldest);
    expect(s.dialogs.some((d) => d.kind === 'request' && d.address === oldest)).toBe(false);
  });

  it('never holds more requests than the core keeps, even from a list or unmatched events', () => {
    const addressOf = (i: number): string => `ricochet:${i.toString(32).padStart(56, 'b')}`;
    const many = Array.from({ length: MAX_PENDING_REQUESTS + 5 }, (_, i) => ({
      address: addressOf(i),
      nickname: '',
      message: 'x',
      receivedAt: i,
    }));
    let s = run([core({ type: 'requests', requests: many })]);
    expect(s.requests).toHaveLength(MAX_PENDING_REQUESTS);
    s = run([core({ type: 'request', address: A, nickname: '', message: 'new' })], s);
    expect(s.requests).toHaveLength(MAX_PENDING_REQUESTS);
    expect(s.requests.at(-1)?.address).toBe(A);
  });

  it('moves the selection within bounds', () => {
    let s = run([contactsEvent]);
    s = run(
      [
        { type: 'select-move', delta: 1 },
        { type: 'select-move', delta: 5 },
      ],
      s,
    );
    expect(s.selected?.address).toBe(C);
    s = run([{ type: 'select-move', delta: -10 }], s);
    expect(s.selected?.address).toBe(B);
  });

  it('sanitises nicknames and request text on the way in', () => {
    const s = run([
      core({
        type: 'request',
        address: A,
        nickname: '\u202Eevil\x1b[2J',
        message: 'a\x1b]52;c;eA==\x07b',
      }),
    ]);
    expect(s.requests[0]?.nickname).toBe('⟨U+202E⟩evil');
    expect(s.requests[0]?.message).toBe('ab');
  });
});

describe('conversations', () => {
  it('dates incoming messages by timeDelta and counts unread unless the conversation is open', () => {
    let s = run([
      contactsEvent,
      core({ type: 'message', address: A, id: 7, text: 'hi', timeDelta: -300 }),
    ]);
    const m = s.conversations[A]?.messages[0];
    expect(m?.at).toBe(NOW - 300_000);
    expect(m?.direction).toBe('in');
    expect(s.contacts.find((c) => c.address === A)?.unread).toBe(1);
    expect(s.alerts).toBe(1);
    s = run(
      [
        { type: 'select', address: A },
        { type: 'focus', focus: 'composer' },
      ],
      s,
    );
    expect(s.contacts.find((c) => c.address === A)?.unread).toBe(0);
    s = run([core({ type: 'message', address: A, id: 8, text: 'again', timeDelta: 0 })], s);
    expect(s.contacts.find((c) => c.address === A)?.unread).toBe(0);
  });

  it('clamps a positive (future) timeDelta to now', () => {
    const s = run([core({ type: 'message', address: A, id: 1, text: 'x', timeDelta: 9999 })]);
    expect(s.conversations[A]?.messages[0]?.at).toBe(NOW);
  });

  it('tracks delivery state queued → sent → delivered / failed, matching ids in send order', () => {
    let s = run([
      { type: 'message-sent', address: A, text: 'one', now: NOW },
      { type: 'message-sent', address: A, text: 'two', now: NOW },
    ]);
    expect(s.conversations[A]?.messages.map((m) => m.state)).toEqual(['queued', 'queued']);
    s = run(
      [
        core({ type: 'message-state', address: A, id: 10, state: 'sent' }),
        core({ type: 'message-state', address: A, id: 11, state: 'failed' }),
        core({ type: 'delivered', address: A, id: 10 }),
      ],
      s,
    );
    const msgs = s.conversations[A]?.messages ?? [];
    expect(msgs.map((m) => [m.text, m.id, m.state])).toEqual([
      ['one', 10, 'delivered'],
      ['two', 11, 'failed'],
    ]);
  });
});

describe('composer', () => {
  it('edits at the cursor, handles surrogate pairs and clears on send', () => {
    let s = run([
      { type: 'composer-insert', text: 'ab😀' },
      { type: 'composer-move', to: 'left' },
      { type: 'composer-insert', text: '\r\n' },
    ]);
    expect(s.composer.text).toBe('ab\n😀');
    s = run([{ type: 'composer-move', to: 'end' }, { type: 'composer-backspace' }], s);
    expect(s.composer.text).toBe('ab\n');
    s = run([{ type: 'composer-insert', text: 'x\x1b[2Jy' }], s);
    expect(s.composer.text).toBe('ab\nx[2Jy');
    s = run([{ type: 'message-sent', address: A, text: s.composer.text, now: NOW }], s);
    expect(s.composer.text).toBe('');
  });
});

describe('transfers', () => {
  it('stays bounded: every active transfer, and only the last finished ones', () => {
    // A peer that offers file after file and cancels each (the core forgets each at file-done).
    let s = run([
      core({ type: 'file-offer', address: B, fileId: 1, name: 'still-offered.pdf', size: 10 }),
    ]);
    for (let id = 1; id <= 1000; id++) {
      s = run(
        [
          core({ type: 'file-offer', address: A, fileId: id, name: `f${id}.bin`, size: 10 }),
          core({ type: 'file-done', address: A, fileId: id, direction: 'in', result: 'cancelled' }),
        ],
        s,
      );
    }
    expect(s.transfers).toHaveLength(FINISHED_TRANSFERS_KEPT + 1);
    expect(s.transfers[0]).toMatchObject({ address: B, fileId: 1, state: 'offered' });
    expect(s.transfers.slice(1).map((t) => t.fileId)).toEqual(
      Array.from(
        { length: FINISHED_TRANSFERS_KEPT },
        (_, i) => 1000 - FINISHED_TRANSFERS_KEPT + 1 + i,
      ),
    );
  });

  it('follows an offer through progress to done, with a sanitised name', () => {
    let s = run([
      core({ type: 'file-offer', address: A, fileId: 3, name: 'a\u202Efdp.exe', size: 1000 }),
    ]);
    expect(s.transfers[0]).toMatchObject({
      name: 'a⟨U+202E⟩fdp.exe',
      state: 'offered',
      direction: 'in',
    });
    s = run(
      [
        core({
          type: 'file-progress',
          address: A,
          fileId: 3,
          direction: 'in',
          transferred: 500,
          size: 1000,
          bytesPerSecond: 100,
        }),
      ],
      s,
    );
    expect(s.transfers[0]).toMatchObject({
      transferred: 500,
      bytesPerSecond: 100,
      state: 'transferring',
    });
    s = run(
      [
        core({
          type: 'file-done',
          address: A,
          fileId: 3,
          direction: 'in',
          result: 'success',
          path: '/tmp/x',
        }),
      ],
      s,
    );
    expect(s.transfers[0]).toMatchObject({ state: 'done', path: '/tmp/x' });
  });

  it('shows our own offer (file-offered) by name, cancellable before the peer answers', () => {
    let s = run([
      core({ type: 'file-offered', address: A, fileId: 1, name: 'report\u001b[2J.pdf', size: 9 }),
    ]);
    expect(s.transfers).toHaveLength(1);
    expect(s.transfers[0]).toMatchObject({
      fileId: 1,
      direction: 'out',
      size: 9,
      state: 'offered',
    });
    const name = s.transfers[0]?.name ?? '';
    expect(name).toContain('report');
    expect(name).not.toContain('\u001b'); // sanitised like a peer's offer
    s = run(
      [
        core({
          type: 'file-progress',
          address: A,
          fileId: 1,
          direction: 'out',
          transferred: 4,
          size: 9,
          bytesPerSecond: 4,
        }),
      ],
      s,
    );
    expect(s.transfers).toHaveLength(1);
    expect(s.transfers[0]).toMatchObject({ name, transferred: 4, state: 'transferring' });
  });
});

describe('tor and status', () => {
  it('tracks bootstrap, problems and publication', () => {
    let s = run([core({ type: 'tor', progress: 45, summary: 'Loading relay descriptors' })]);
    expect(s.tor).toMatchObject({
      progress: 45,
      summary: 'Loading relay descriptors',
      published: false,
    });
    s = run(
      [
        core({
          type: 'tor-problem',
          summary: 'tor executable not found',
          recommendation: 'apt install tor',
        }),
      ],
      s,
    );
    expect(s.tor.problem?.kind).toBe('tor-missing');
    s = run(
      [core({ type: 'tor-problem', summary: 'Control port filtered', recommendation: 'x' })],
      s,
    );
    expect(s.tor.problem?.kind).toBe('control-filtered');
    s = run(
      [core({ type: 'tor-problem', summary: 'Bootstrap stuck at 10%', recommendation: 'x' })],
      s,
    );
    expect(s.tor.problem?.kind).toBe('bootstrap-stuck');
    s = run([core({ type: 'published', address: A })], s);
    expect(s.tor).toMatchObject({ published: true, problem: null });
    expect(s.ownAddress).toBe(A);
  });

  it('records errors, quit and bell toggles', () => {
    const s = run([
      core({ type: 'error', code: 'E_X', message: 'bad\x1b[2J' }),
      core({ type: 'quit' }),
      { type: 'toggle-bell' },
    ]);
    expect(s.lastError).toEqual({ code: 'E_X', message: 'bad' });
    expect(s.quitting).toBe(true);
    expect(s.bell).toBe(false);
  });

  it('stacks and closes dialogs', () => {
    const s = run([
      { type: 'open-dialog', dialog: { kind: 'transfers' } },
      { type: 'open-dialog', dialog: { kind: 'help' } },
      { type: 'close-dialog' },
    ]);
    expect(s.dialogs).toEqual([{ kind: 'transfers' }]);
  });
});

describe('history and queued messages from the core', () => {
  it('gives our shown message the local id from `queued`, and adds ones sent elsewhere', () => {
    let s = run([{ type: 'message-sent', address: A, text: 'one', now: NOW }]);
    s = run([core({ type: 'queued', address: A, id: 41, text: 'one' })], s);
    s = run([core({ type: 'queued', address: A, id: 42, text: 'from headless' })], s);
    s = run([core({ type: 'message-state', address: A, id: 41, state: 'delivered' })], s);
    expect(s.conversations[A]?.messages.map((m) => [m.text, m.id, m.state])).toEqual([
      ['one', 41, 'delivered'],
      ['from headless', 42, 'queued'],
    ]);
  });

  it('replaces the conversation with the history, sanitised, keeping unqueued messages', () => {
    let s = run([{ type: 'message-sent', address: A, text: 'pending', now: NOW }]);
    s = run(
      [
        core({
          type: 'messages',
          address: A,
          messages: [
            {
              address: A,
              id: 1,
              direction: 'in',
              text: 'x\x1b[2Jy',
              at: NOW,
              timeDelta: -60,
              state: 'delivered',
            },
            {
              address: A,
              id: 2,
              direction: 'out',
              text: 'mine',
              at: NOW,
              timeDelta: 0,
              state: 'failed',
            },
          ],
        }),
      ],
      s,
    );
    const msgs = s.conversations[A]?.messages ?? [];
    expect(msgs.map((m) => [m.text, m.state])).toEqual([
      ['xy', 'delivered'],
      ['mine', 'failed'],
      ['pending', 'queued'],
    ]);
    expect(msgs[0]?.at).toBe(NOW - 60_000);
    expect(new Set(msgs.map((m) => m.key)).size).toBe(3);
  });
});

describe('own nickname and answered requests', () => {
  it('own-nickname events set what the add dialog shows, sanitised for the terminal', () => {
    let s = run([]);
    expect(s.ownNickname).toBe('');
    s = run([core({ type: 'own-nickname', nickname: 'Alice' })], s);
    expect(s.ownNickname).toBe('Alice');
    s = run([core({ type: 'own-nickname', nickname: 'x\u001b[31m' })], s);
    expect(s.ownNickname).not.toContain('\u001b');
    s = run([core({ type: 'own-nickname', nickname: '' })], s);
    expect(s.ownNickname).toBe('');
  });

  it('a request the core still holds comes back with its requests list after request-resolved', () => {
    const request = { address: A, nickname: '', message: 'hi', receivedAt: NOW };
    let s = run([core({ type: 'request', address: A, nickname: '', message: 'hi' })]);
    s = run([{ type: 'request-resolved', address: A }], s);
    expect(s.requests).toEqual([]);
    s = run([core({ type: 'requests', requests: [request] })], s);
    expect(s.requests).toEqual([request]);
    expect(listEntries(s)).toEqual([{ kind: 'request', address: A }]);
  });
});
