// The dark identity onion (issue 13, docs/SEAMS.md §2, docs/HEADLESS.md "Identity onion"): the
// setting `identityOnline` — 'always', open `{ until }` an absolute time, or 'dark' — decides
// whether our identity onion is in tor. Open: it is published (ADD_ONION, a descriptor). Dark: it is
// removed (DEL_ONION) or never added, so no descriptor exists; contacts are still dialled by us
// (and, once endpoints land, reach us on their endpoint onions). An open window closes by a timer
// that is re-armed from the saved absolute time after a restart.
import type { ContactView, CoreEvent, RicochetId } from '../api/core-api.js';
import type { IdentityKey } from '../identity/identity-key.js';
import type { ConnectionManager } from './connection-manager.js';
import { errorEvent } from './error-events.js';
import type { CoreModel } from './vault-mapping.js';
import type { IdentityOnlineRecord } from '../profile/vault-state.js';
import type { InboundConnection, OnionListener, TorProvider } from '../onion/tor-provider.js';
import { CoreError } from './errors.js';

export type IdentityOnlineSetting = IdentityOnlineRecord;

/** The longest "accept requests for the next N minutes" window: one day. */
export const MAX_OPEN_MINUTES = 24 * 60;
/** What the UI's one key press opens the identity onion for. */
export const DEFAULT_OPEN_MINUTES = 30;
/** setTimeout's largest delay; longer windows re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type IdentityOnlineEvent = Extract<CoreEvent, { type: 'identity-online' }>;

/** `set-identity-online` with a mode it does not know, or minutes missing / out of range. */
export class InvalidIdentityOnlineError extends CoreError {
  readonly code: string = 'invalid-identity-online';
  override name = 'InvalidIdentityOnlineError';
}

/** The setting a `set-identity-online` command asks for (minutes only with `open`). */
export function settingFromCommand(mode: string, minutes: number | undefined, now: number) {
  if (mode === 'always' || mode === 'dark') {
    if (minutes !== undefined) throw new InvalidIdentityOnlineError(`${mode} takes no minutes`);
    return mode;
  }
  if (mode !== 'open') throw new InvalidIdentityOnlineError('mode is always, dark or open');
  if (minutes === undefined || !Number.isInteger(minutes)) {
    throw new InvalidIdentityOnlineError('open needs minutes');
  }
  if (minutes < 1 || minutes > MAX_OPEN_MINUTES) {
    throw new InvalidIdentityOnlineError(`minutes must be 1..${MAX_OPEN_MINUTES}`);
  }
  return { until: now + minutes * 60_000 };
}

export function isOpen(setting: IdentityOnlineSetting, now: number): boolean {
  return setting === 'always' || (typeof setting === 'object' && setting.until > now);
}

/**
 * The contacts (accepted, or asked by us) that can reach us only on the identity onion: every one
 * without an endpoint (all Ricochet Refresh contacts, Sotto contacts not yet upgraded). Blocked
 * contacts are left out: they are not let in anyway.
 */
export function identityOnlyContacts(
  contacts: readonly ContactView[],
  hasEndpoint: (address: RicochetId) => boolean = () => false,
): RicochetId[] {
  return contacts
    .filter((c) => c.status !== 'blocked' && !hasEndpoint(c.address))
    .map((c) => c.address);
}

export interface IdentityOnionHooks {
  readonly tor: TorProvider;
  /** A fresh copy of our expanded identity key (zeroed by us after use). */
  readonly keyCopy: () => Uint8Array;
  readonly onConnection: (connection: InboundConnection) => void;
  readonly now: () => number;
  /** The saved setting (absent in the vault: 'always'). */
  readonly load: () => IdentityOnlineSetting;
  /** Store a new setting in the vault state (saved by the caller's saver). */
  readonly store: (setting: IdentityOnlineSetting) => void;
  /** Contacts that can only reach our identity onion (no endpoint yet, or Ricochet Refresh). */
  readonly identityOnly: () => readonly RicochetId[];
  readonly emit: (event: IdentityOnlineEvent) => void;
  readonly onError: (error: unknown) => void;
}

export class IdentityOnion {
  readonly #hooks: IdentityOnionHooks;
  #listener: OnionListener | undefined;
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #stopped = false;
  readonly #abort = new AbortController();

  constructor(hooks: IdentityOnionHooks) {
    this.#hooks = hooks;
  }

  /** True once start() finished: dialling may begin (dark or not). */
  get started(): boolean {
    return this.#started;
  }

  /** Publishes the identity onion if the setting says open; waits for it (as `start` always did). */
  async start(signal?: AbortSignal): Promise<void> {
    this.#expireIfDue();
    const run = this.#chain.then(() => this.#reconcile(signal));
    this.#chain = run.catch(() => undefined);
    await run;
    this.#started = true;
    this.#arm();
    // Dark, nothing is published: say so (in place of `published`) so front ends stop waiting.
    if (this.#listener === undefined) this.#emitView();
  }

  /**
   * Changes the setting (stored at once; the caller saves it) and announces it unless the caller
   * answers itself; the onion follows in the background and is announced again when it did.
   */
  set(setting: IdentityOnlineSetting, announce = true): void {
    this.#hooks.store(setting);
    this.#arm();
    if (announce) this.#emitView();
    if (this.#started) this.#follow();
  }

  view(): IdentityOnlineEvent {
    const setting = this.#hooks.load();
    const identityOnly = this.#hooks.identityOnly();
    const published = this.#listener !== undefined;
    if (typeof setting === 'object') {
      return {
        type: 'identity-online',
        mode: 'open-until',
        until: setting.until,
        published,
        identityOnly,
      };
    }
    return { type: 'identity-online', mode: setting, published, identityOnly };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#chain.catch(() => undefined);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.close().catch(() => undefined);
  }

  #emitView(): void {
    if (!this.#stopped) this.#hooks.emit(this.view());
  }

  /** A saved window that ended while Sotto was not running (or just now) is dark. */
  #expireIfDue(): void {
    const setting = this.#hooks.load();
    if (typeof setting === 'object' && !isOpen(setting, this.#hooks.now())) {
      this.#hooks.store('dark');
    }
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const setting = this.#hooks.load();
    if (typeof setting !== 'object' || this.#stopped) return;
    const wait = Math.max(0, Math.min(setting.until - this.#hooks.now(), MAX_TIMER_MS));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const current = this.#hooks.load();
      if (typeof current === 'object' && !isOpen(current, this.#hooks.now())) {
        this.set('dark'); // the window ended
      } else {
        this.#arm();
      }
    }, wait);
    this.#timer.unref();
  }

  #follow(): void {
    this.#chain = this.#chain
      .then(() => this.#reconcile(this.#abort.signal))
      .then(
        () => this.#emitView(),
        (error: unknown) => {
          if (!this.#stopped) this.#hooks.onError(error);
        },
      );
    // (each step catches its own failure, so the chain never stays rejected)
  }

  /** Brings tor in line with the setting: one ADD_ONION or DEL_ONION at a time. */
  async #reconcile(signal?: AbortSignal): Promise<void> {
    if (this.#stopped) return;
    const open = isOpen(this.#hooks.load(), this.#hooks.now());
    if (open && this.#listener === undefined) {
      const key = this.#hooks.keyCopy(); // the provider keeps its own copy
      try {
        this.#listener = await this.#hooks.tor.listen(key, this.#hooks.onConnection, signal);
      } finally {
        key.fill(0);
      }
      // The setting may have changed (or Sotto closed) while tor published: check again.
      if (this.#stopped || !isOpen(this.#hooks.load(), this.#hooks.now())) {
        const listener = this.#listener;
        this.#listener = undefined;
        await listener.close();
      }
    } else if (!open && this.#listener !== undefined) {
      const listener = this.#listener;
      this.#listener = undefined;
      await listener.close();
    }
  }
}

/** The Messenger's identity onion: its setting lives in the model's settings (saved by `changed`). */
export function identityOnionOf(parts: {
  readonly tor: TorProvider;
  readonly key: IdentityKey;
  readonly manager: ConnectionManager;
  readonly model: CoreModel;
  readonly now: () => number;
  readonly changed: () => void;
  readonly emit: (event: CoreEvent) => void;
  /** A contact reaches us on an endpoint onion of its own (issue 13's endpoints). */
  readonly hasEndpoint?: (address: RicochetId) => boolean;
}): IdentityOnion {
  const { model } = parts;
  return new IdentityOnion({
    tor: parts.tor,
    keyCopy: () => parts.key.expandedKey(),
    onConnection: ({ socket }) => parts.manager.acceptInbound(socket),
    now: parts.now,
    load: () => model.settings.identityOnline ?? 'always',
    store: (identityOnline) => {
      model.settings = { ...model.settings, identityOnline };
      parts.changed();
    },
    identityOnly: () => identityOnlyContacts(model.book.list(), parts.hasEndpoint),
    emit: parts.emit,
    onError: (error) => parts.emit(errorEvent(error)),
  });
}
