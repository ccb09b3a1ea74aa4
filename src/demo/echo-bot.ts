// The demo's bot peer over any MessengerCore (src/api/core-api.ts): accepts every contact request,
// greets a contact when it comes online, echoes every message back ("echo: <text>", cut to the
// Ricochet 2000-unit limit) and accepts every file offered to it.
import type { CoreCommand, CoreEvent, MessengerCore, RicochetId } from '../api/core-api.js';
import { MAX_MESSAGE_UNITS } from '../contacts/text-rules.js';

export const ECHO_PREFIX = 'echo: ';
export const ECHO_GREETING =
  'Hello from the echo bot. Everything you write comes back to you, over Tor, end to end.';

/** The reply to `text`, never longer than the protocol allows (no split surrogate pair). */
export function echoReply(text: string): string {
  const reply = ECHO_PREFIX + text;
  if (reply.length <= MAX_MESSAGE_UNITS) return reply;
  let cut = reply.slice(0, MAX_MESSAGE_UNITS);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return cut;
}

export interface EchoBotOptions {
  /** Sent once per run to each contact when it first comes online (null: no greeting). */
  readonly greeting?: string | null;
  /** Where a command the core refused is reported (default: ignored). */
  readonly onError?: (error: unknown) => void;
}

export class EchoBot {
  readonly #core: MessengerCore;
  readonly #greeting: string | null;
  readonly #onError: (error: unknown) => void;
  readonly #greeted = new Set<RicochetId>();
  readonly #unsubscribe: () => void;

  constructor(core: MessengerCore, options: EchoBotOptions = {}) {
    this.#core = core;
    this.#greeting = options.greeting === undefined ? ECHO_GREETING : options.greeting;
    this.#onError = options.onError ?? (() => undefined);
    this.#unsubscribe = core.onEvent((event) => this.#onEvent(event));
  }

  stop(): void {
    this.#unsubscribe();
  }

  #send(command: CoreCommand): void {
    this.#core.dispatch(command).catch(this.#onError);
  }

  #onEvent(event: CoreEvent): void {
    switch (event.type) {
      case 'request':
        return this.#send({ type: 'accept', address: event.address });
      case 'message':
        return this.#send({ type: 'send', address: event.address, text: echoReply(event.text) });
      case 'file-offer':
        return this.#send({ type: 'accept-file', address: event.address, fileId: event.fileId });
      case 'online':
        if (this.#greeting === null || this.#greeted.has(event.address)) return;
        this.#greeted.add(event.address);
        return this.#send({ type: 'send', address: event.address, text: this.#greeting });
      default:
        return;
    }
  }
}
