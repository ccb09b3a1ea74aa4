// Who the peer of a sans-IO Ricochet v3 connection is (doc/protocol-v3.md, "Authentication" with
// the im.ricochet.auth.hidden-service channel, as Ricochet Refresh 3.0.41 runs it; endpoint
// streams: docs/ENDPOINTS.md §2): the options that name the peer, the client's auth channel and
// its cookie, the peer a server verified, an endpoint stream's contact (known from the Gosling
// handshake, no Ricochet auth), and when our own channels open after each. Pure: no I/O, no clock.
import type { ConnectionEvent, ConnectionOptions, Role } from './connection-types.js';
import { UnauthorizedError } from './errors.js';
import { COOKIE_SIZE } from './messages.js';
import { isValidServiceId } from '../identity/service-id.js';
import type { ConnectionPurpose } from './introduction.js';
import type { ChannelTable } from './channel-table.js';
import type { ChannelHost } from './channels/channel.js';
import { AuthClientChannel } from './channels/auth-hidden-service.js';

/** Throws a TypeError when the options do not name the peer as the role needs. */
export function checkPeerOptions(options: ConnectionOptions): void {
  if (options.role === 'client' && !isValidServiceId(options.peerServiceId ?? '')) {
    throw new TypeError('a client connection needs the valid service id it dialled');
  }
  const endpointPeer = options.endpointPeer;
  if (endpointPeer !== undefined && !isValidServiceId(endpointPeer)) {
    throw new TypeError('an endpoint stream needs the valid service id of its peer');
  }
  if (options.role === 'server' && !options.isKnownContact && endpointPeer === undefined) {
    throw new TypeError('a server connection needs isKnownContact');
  }
}

/** What authentication needs from its connection (connection-core.ts). */
export interface AuthContext {
  readonly role: Role;
  readonly options: ConnectionOptions;
  readonly host: ChannelHost;
  table(): ChannelTable;
  purpose(): ConnectionPurpose;
  emit(event: ConnectionEvent): void;
  /** Runs `action` once the whole input at hand is handled. */
  afterInput(action: () => void): void;
  /** The connection is open (an endpoint stream has no introduction). */
  open(): void;
  sendEnableFeatures(): void;
  openOwnChannels(): void;
}

export class PeerAuthentication {
  readonly #c: AuthContext;
  #peerServiceId: string | undefined;
  #authenticated = false;
  #knownContact = false;

  constructor(context: AuthContext) {
    this.#c = context;
    const options = context.options;
    this.#peerServiceId = options.role === 'client' ? options.peerServiceId : undefined;
  }

  get authenticated(): boolean {
    return this.#authenticated;
  }
  get knownContact(): boolean {
    return this.#knownContact;
  }
  /** The peer's service id: the one dialled (client), verified, or of the endpoint stream. */
  get peerServiceId(): string | undefined {
    return this.#peerServiceId;
  }

  /** The contact request was accepted: the peer is a known contact from now on. */
  becomeKnown(): void {
    this.#knownContact = true;
  }

  /** Client: opens the auth channel with a fresh cookie (right after the introduction). */
  openClientAuth(): void {
    const cookie = this.#c.options.random(COOKIE_SIZE);
    if (cookie.length !== COOKIE_SIZE) throw new RangeError('random(16) returned the wrong size');
    this.#c
      .table()
      .openOutbound(
        (id) =>
          new AuthClientChannel(
            id,
            this.#c.host,
            cookie,
            this.#peerServiceId as string,
            (m) => this.#c.options.identity.sign(m),
            { onAccepted: (known) => this.#clientAuthenticated(known) },
          ),
        { clientCookie: cookie },
      );
  }

  /** An endpoint stream: its contact is known from the Gosling handshake; it is open at once. */
  startEndpointSession(peerServiceId: string): void {
    this.#c.open();
    this.#peerServiceId = peerServiceId;
    this.#authenticated = true;
    this.#knownContact = true;
    this.#c.emit({ type: 'authenticated', peerServiceId, isKnownContact: true });
    if (this.#c.role === 'client') this.#c.sendEnableFeatures();
    this.#c.openOwnChannels();
  }

  #clientAuthenticated(known: boolean): void {
    this.#authenticated = true;
    this.#knownContact = known;
    const peerServiceId = this.#peerServiceId as string;
    this.#c.emit({ type: 'authenticated', peerServiceId, isKnownContact: known });
    this.#c.sendEnableFeatures();
    // 3.0.41 opens its own channels once the whole input at hand is handled (after echoing the
    // auth close and answering the server's opens); doing the same keeps our bytes identical.
    if (known) this.#c.afterInput(() => this.#c.openOwnChannels());
    else if (this.#c.purpose() === 'bulk') this.#c.afterInput(() => this.#strangerOnBulk());
  }

  /** Server: the auth channel verified the peer's proof; whether it is a known contact. */
  serverVerified(serviceId: string): boolean {
    this.#authenticated = true;
    this.#peerServiceId = serviceId;
    const known = (this.#c.options.isKnownContact as (id: string) => boolean)(serviceId);
    this.#knownContact = known;
    this.#c.emit({ type: 'authenticated', peerServiceId: serviceId, isKnownContact: known });
    // Result and the auth channel close go first; our channels open right after, as in 3.0.41.
    const table = this.#c.table();
    if (known) table.afterPacket(() => this.#c.openOwnChannels());
    else if (this.#c.purpose() === 'bulk') table.afterPacket(() => this.#strangerOnBulk());
    return known;
  }

  /** Only contacts may hold a bulk connection: it ends right after the auth Result. */
  #strangerOnBulk(): never {
    throw new UnauthorizedError('a bulk connection with a peer who is not a contact');
  }
}
