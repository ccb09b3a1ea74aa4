// The endpoint server's side of the Gosling v0.1.0 endpoint handshake ("Endpoint Handshake",
// "Endpoint Server RPC API"), sans-IO: begin_handshake(version, client_identity, channel) →
// { server_cookie }, then send_response(client_cookie, proof signature) → {}. The proof
// (`gosling-endpoint`, naming this endpoint's service id) is verified first; then the client must
// be the one contact this endpoint serves ("verify the peer's identity corresponds with the
// identity associated with this endpoint server"). On completion the stream is the channel's.
import { isValidServiceId } from '../identity/service-id.js';
import {
  BEGIN_HANDSHAKE,
  ENDPOINT_NAMESPACE,
  expectRequest,
  reply,
  SEND_RESPONSE,
} from './calls.js';
import { SIGNATURE_LENGTH } from './client-auth.js';
import { clientProof, COOKIE_LENGTH, ENDPOINT_DOMAIN, verifyClientProof } from './client-proof.js';
import {
  ClientNotAllowedError,
  ClientProofError,
  GoslingVersionError,
  UnknownChannelError,
} from './errors.js';
import {
  exactDocument,
  readBinary,
  readRequestName,
  readServiceId,
  readString,
} from './gosling-arguments.js';
import { GOSLING_VERSION, HandshakeSession, type SessionOptions } from './handshake-session.js';
import { binary, type Section } from './honk-message.js';

export interface EndpointServerOptions extends SessionOptions {
  /** This endpoint server's own (secret) service id: the proof names it. */
  readonly endpointServiceId: string;
  /** The identity service id of the one client this endpoint serves. */
  readonly clientServiceId: string;
  /** The channel names offered; any other is UnknownChannelError. */
  readonly channels: readonly string[];
}

export interface EndpointServerResult {
  readonly clientServiceId: string;
  readonly channel: string;
}

interface Begun {
  readonly clientServiceId: string;
  readonly channel: string;
  readonly serverCookie: Uint8Array;
}

export class EndpointServerHandshake extends HandshakeSession<EndpointServerResult> {
  readonly #options: EndpointServerOptions;
  #begun: Begun | undefined;

  constructor(options: EndpointServerOptions) {
    super(options);
    for (const id of [options.endpointServiceId, options.clientServiceId]) {
      if (!isValidServiceId(id)) throw new RangeError('bad service id');
    }
    this.#options = options;
  }

  protected onSection(section: Exclude<Section, { kind: 'error' }>): void {
    if (this.#begun === undefined) this.#begin(section);
    else this.#response(section, this.#begun);
  }

  #begin(section: Exclude<Section, { kind: 'error' }>): void {
    const { request, cookie } = expectRequest(section, ENDPOINT_NAMESPACE, BEGIN_HANDSHAKE);
    const args = exactDocument(
      request.arguments,
      ['version', 'client_identity', 'channel'],
      'args',
    );
    if (readString(args, 'version') !== GOSLING_VERSION) {
      throw new GoslingVersionError('only Gosling 0.1.0 is spoken');
    }
    const clientServiceId = readServiceId(args, 'client_identity');
    const channel = readRequestName(args, 'channel');
    if (!this.#options.channels.includes(channel)) {
      throw new UnknownChannelError('this endpoint offers no such channel');
    }
    const serverCookie = this.randomBytes(COOKIE_LENGTH);
    this.#begun = { clientServiceId, channel, serverCookie };
    this.send(reply(cookie, { server_cookie: binary(serverCookie) }));
  }

  #response(section: Exclude<Section, { kind: 'error' }>, begun: Begun): void {
    const { request, cookie } = expectRequest(section, ENDPOINT_NAMESPACE, SEND_RESPONSE);
    const keys = ['client_cookie', 'client_identity_proof_signature'];
    const args = exactDocument(request.arguments, keys, 'send_response arguments');
    const clientCookie = readBinary(args, 'client_cookie', COOKIE_LENGTH);
    const signature = readBinary(args, 'client_identity_proof_signature', SIGNATURE_LENGTH);
    const fields = {
      domain: ENDPOINT_DOMAIN,
      request: begun.channel,
      clientServiceId: begun.clientServiceId,
      serverServiceId: this.#options.endpointServiceId,
      clientCookie,
      serverCookie: begun.serverCookie,
    } as const;
    clientProof(fields);
    if (!verifyClientProof(fields, signature)) {
      throw new ClientProofError('the client identity proof does not verify');
    }
    if (begun.clientServiceId !== this.#options.clientServiceId) {
      throw new ClientNotAllowedError('this endpoint serves another client');
    }
    this.send(reply(cookie, {}));
    this.complete({ clientServiceId: begun.clientServiceId, channel: begun.channel });
  }
}
