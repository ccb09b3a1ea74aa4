// `im.ricochet.auth.hidden-service` (Ricochet v3, as 3.0.41 runs it): the client proves its onion
// key with a signature over HMAC-SHA256(client_cookie ‖ server_cookie, client_id ‖ server_id).
// Tor already proved the server's identity, so only the client authenticates.
import { AuthenticationFailedError } from '../connection-types.js';
import { ProtocolError, ProtocolViolationError } from '../errors.js';
import { decodeAuthPacket, encodeAuthPacket } from '../messages-channels.js';
import { ChannelType } from '../messages-control.js';
import { computeAuthProof, verifyAuthProof } from '../auth-proof.js';
import { COOKIE_SIZE } from '../messages.js';
import type { ChannelHandler, ChannelHost, ChannelResultMessage } from './channel.js';

export interface AuthClientCallbacks {
  /** The server accepted our proof. */
  onAccepted(isKnownContact: boolean): void;
}

/** Client side: opened by us right after the introduction; sends the Proof, awaits Result. */
export class AuthClientChannel implements ChannelHandler {
  readonly type = ChannelType.Auth;
  readonly direction = 'outbound';
  #proofSent = false;
  #done = false;

  constructor(
    readonly id: number,
    private readonly host: ChannelHost,
    readonly clientCookie: Uint8Array,
    private readonly serverServiceId: string,
    private readonly sign: (message: Uint8Array) => Uint8Array,
    private readonly callbacks: AuthClientCallbacks,
  ) {}

  opened(result: ChannelResultMessage): void {
    const serverCookie = result.serverCookie;
    if (!serverCookie || serverCookie.length !== COOKIE_SIZE) {
      throw new ProtocolViolationError('auth ChannelResult lacks a 16-byte server_cookie');
    }
    const proof = computeAuthProof(
      this.clientCookie,
      serverCookie,
      this.host.localServiceId,
      this.serverServiceId,
    );
    const signature = this.sign(proof);
    this.#proofSent = true;
    this.host.send(
      this.id,
      encodeAuthPacket({ kind: 'proof', signature, serviceId: this.host.localServiceId }),
    );
  }

  receive(data: Uint8Array): void {
    const message = decodeAuthPacket(data);
    if (message.kind !== 'result' || !this.#proofSent || this.#done) {
      throw new ProtocolViolationError('unexpected message on the client auth channel');
    }
    this.#done = true;
    if (!message.accepted) {
      throw new AuthenticationFailedError('the server refused our authentication proof');
    }
    this.callbacks.onAccepted(message.isKnownContact);
  }

  closed(): void {
    if (!this.#done) this.#done = true;
  }

  get finished(): boolean {
    return this.#done;
  }
}

export interface AuthServerCallbacks {
  /** The proof verified: the peer owns `serviceId`. Returns whether it is a known contact. */
  onVerified(serviceId: string): boolean;
}

/** Server side: answers the OpenChannel with our cookie, verifies one Proof, sends Result. */
export class AuthServerChannel implements ChannelHandler {
  readonly type = ChannelType.Auth;
  readonly direction = 'inbound';
  readonly serverCookie: Uint8Array;
  #done = false;

  constructor(
    readonly id: number,
    private readonly host: ChannelHost,
    private readonly clientCookie: Uint8Array,
    private readonly callbacks: AuthServerCallbacks,
  ) {
    if (clientCookie.length !== COOKIE_SIZE) throw new RangeError('client cookie must be 16 B');
    this.serverCookie = host.random(COOKIE_SIZE);
    if (this.serverCookie.length !== COOKIE_SIZE) throw new RangeError('random(16) failed');
  }

  receive(data: Uint8Array): void {
    const message = decodeAuthPacket(data);
    if (message.kind !== 'proof' || this.#done) {
      throw new ProtocolViolationError('unexpected message on the server auth channel');
    }
    this.#done = true;
    // Rebuild the proof with OUR service id as the server id: a proof made for another server,
    // or replayed from a connection with other cookies, cannot verify.
    let valid = false;
    try {
      valid =
        message.serviceId !== this.host.localServiceId &&
        verifyAuthProof(
          message.signature,
          message.serviceId,
          this.host.localServiceId,
          this.clientCookie,
          this.serverCookie,
        );
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
    }
    if (!valid) {
      this.host.send(
        this.id,
        encodeAuthPacket({ kind: 'result', accepted: false, isKnownContact: false }),
      );
      this.host.closeChannel(this.id);
      throw new AuthenticationFailedError('the client proof does not verify');
    }
    const known = this.callbacks.onVerified(message.serviceId);
    this.host.send(
      this.id,
      encodeAuthPacket({ kind: 'result', accepted: true, isKnownContact: known }),
    );
    this.host.closeChannel(this.id);
  }

  closed(): void {
    this.#done = true;
  }
}
