// Endpoint negotiation between two Sotto contacts (docs/ENDPOINTS.md §2): on an authenticated
// known-contact connection where both negotiated `im.sotto.endpoints`, a side that has no endpoint
// from the contact (or whose endpoint failed) opens the `im.sotto.endpoint.identity` channel and
// runs the Gosling identity client over it (src/gosling/identity-client.ts): it proves its
// identity, gives a fresh x25519 client-authorization key, and gets the service id of the endpoint
// the contact now hosts for it. The other side runs the identity server: it creates a fresh
// endpoint key for the contact (any older endpoint for it is replaced) and hosts it with the
// contact's key. Each direction is one such handshake; a handshake that fails or is cut leaves
// nothing half-stored (the client stores only on completion; a server endpoint nobody learned is
// replaced at the next negotiation).
import { randomBytes } from 'node:crypto';
import { IdentityClientHandshake } from '../gosling/identity-client.js';
import { IdentityServerHandshake } from '../gosling/identity-server.js';
import type { HandshakeSession } from '../gosling/handshake-session.js';
import type { GoslingError } from '../gosling/errors.js';
import type { IdentityKey } from '../identity/identity-key.js';
import type { ConnectionEvent } from '../protocol/connection-types.js';
import type { PeerLink } from './peer-link.js';

/** The one identity-server endpoint name Sotto offers over the negotiation channel. */
export const ENDPOINT_NAME = 'im.sotto.endpoint';
export const NEGOTIATION_TIMEOUT_MS = 60_000;

export interface NegotiationHooks {
  readonly identity: IdentityKey;
  readonly now: () => number;
  /** Whether we should ask `contact` for an endpoint now (none yet, or ours for it failed). */
  readonly wantsEndpoint: (contact: string) => boolean;
  /** Whether we can host endpoints at all (tor accepts client authorization). */
  readonly canHost: () => boolean;
  /** Server side: create and host a fresh endpoint for `contact`; its service id. */
  readonly hostFor: (contact: string, clientAuthKey: Uint8Array) => string | undefined;
  /** Client side: `contact` hosts `endpointServiceId` for us; we own `clientAuthSecret`. */
  readonly learned: (
    contact: string,
    endpointServiceId: string,
    clientAuthSecret: Uint8Array,
  ) => void;
  /** A negotiation failed (logged and shown; the contact stays on the identity onion). */
  readonly failed: (contact: string, error: GoslingError) => void;
}

interface Session {
  readonly contact: string;
  readonly link: PeerLink;
  readonly channelId: number;
  readonly session: HandshakeSession<unknown>;
  readonly timer: NodeJS.Timeout;
  /** Client side: our fresh secret, zeroed unless handed over on completion. */
  readonly secret?: Uint8Array;
}

export class EndpointNegotiator {
  readonly #hooks: NegotiationHooks;
  readonly #sessions = new Map<string, Session>(); // `${link.id}:${channelId}`

  constructor(hooks: NegotiationHooks) {
    this.#hooks = hooks;
  }

  /** Events of a contact's live link; true if the event was the negotiation's. */
  handle(contact: string, link: PeerLink, event: ConnectionEvent): boolean {
    switch (event.type) {
      case 'features-enabled':
        this.maybeStart(contact, link);
        return false;
      case 'contact-request-response':
        // A request accepted on this link: features were enabled while the peer was still a
        // stranger (no negotiation then), so the link only now allows it.
        if (event.status === 'accepted') this.maybeStart(contact, link);
        return false;
      case 'endpoint-channel-opened':
        // Ours: the client's first message is already queued on it. The peer's: serve it.
        if (event.direction === 'inbound') this.#serve(contact, link, event.channelId);
        return true;
      case 'endpoint-channel-data': {
        const s = this.#get(link, event.channelId);
        if (s === undefined) return true;
        s.session.receive(event.data, this.#hooks.now());
        this.#flush(s);
        return true;
      }
      case 'endpoint-channel-closed': {
        const s = this.#get(link, event.channelId);
        if (s === undefined) return true;
        s.session.transportClosed();
        this.#flush(s);
        this.#end(s);
        return true;
      }
      default:
        return false;
    }
  }

  /** Opens our negotiation if the link allows it and we want the contact's endpoint. */
  maybeStart(contact: string, link: PeerLink): void {
    const c = link.connection;
    if (!c.isKnownContact || !c.endpointsNegotiated || !this.#hooks.canHost()) return;
    if (!this.#hooks.wantsEndpoint(contact)) return;
    if ([...this.#sessions.values()].some((s) => s.link === link && s.secret !== undefined)) return;
    const channelId = link.run((conn) => conn.openEndpointChannel());
    if (channelId === undefined) return;
    const secret = new Uint8Array(randomBytes(32));
    const session = new IdentityClientHandshake({
      identity: this.#hooks.identity,
      serverServiceId: contact,
      endpoint: ENDPOINT_NAME,
      clientAuthSecret: secret,
      now: this.#hooks.now(),
      timeoutMs: NEGOTIATION_TIMEOUT_MS,
    });
    session.start();
    this.#add({ contact, link, channelId, session, secret, timer: this.#timer(link, channelId) });
  }

  /** The link is gone: its sessions end (nothing is stored from them). */
  linkGone(link: PeerLink): void {
    for (const s of [...this.#sessions.values()]) {
      if (s.link !== link) continue;
      s.session.transportClosed();
      this.#flush(s);
      this.#end(s);
    }
  }

  close(): void {
    for (const s of [...this.#sessions.values()]) this.#end(s);
  }

  #serve(contact: string, link: PeerLink, channelId: number): void {
    if (!this.#hooks.canHost()) {
      link.run((c) => c.closeEndpointChannel(channelId));
      return;
    }
    const session = new IdentityServerHandshake({
      serverServiceId: this.#hooks.identity.serviceId,
      endpoints: [ENDPOINT_NAME],
      endpointFor: (request) =>
        request.clientServiceId === contact
          ? this.#hooks.hostFor(contact, request.clientAuthKey.slice())
          : undefined,
      now: this.#hooks.now(),
      timeoutMs: NEGOTIATION_TIMEOUT_MS,
    });
    this.#add({ contact, link, channelId, session, timer: this.#timer(link, channelId) });
  }

  #add(s: Session): void {
    this.#sessions.set(`${s.link.id}:${s.channelId}`, s);
    this.#flush(s);
  }

  #get(link: PeerLink, channelId: number): Session | undefined {
    return this.#sessions.get(`${link.id}:${channelId}`);
  }

  #timer(link: PeerLink, channelId: number): NodeJS.Timeout {
    const timer = setInterval(() => {
      const s = this.#get(link, channelId);
      if (s === undefined) return;
      s.session.tick(this.#hooks.now());
      this.#flush(s);
    }, 1_000);
    timer.unref();
    return timer;
  }

  /** Sends what the session wrote, then acts on its end. */
  #flush(s: Session | undefined): void {
    if (s === undefined) return;
    for (const out of s.session.takeOutput()) {
      s.link.run((c) => c.sendEndpointData(s.channelId, out));
    }
    for (const event of s.session.takeEvents()) {
      if (event.type === 'completed') {
        if (s.secret !== undefined) {
          const result = event.result as { endpointServiceId: string };
          this.#hooks.learned(s.contact, result.endpointServiceId, s.secret);
          s.link.run((c) => c.closeEndpointChannel(s.channelId));
          this.#end(s, true);
        }
        // The server's side ends when the client closes the channel. A contact that asked again
        // may have lost its keys: we may want to ask it in turn (hooks.wantsEndpoint decides).
        this.maybeStart(s.contact, s.link);
        continue;
      }
      this.#hooks.failed(s.contact, event.error);
      s.link.run((c) => c.closeEndpointChannel(s.channelId));
      this.#end(s);
    }
  }

  #end(s: Session, handedOver = false): void {
    clearInterval(s.timer);
    if (!handedOver) s.secret?.fill(0);
    this.#sessions.delete(`${s.link.id}:${s.channelId}`);
  }
}
