// The endpoint client's side of the Gosling v0.1.0 endpoint handshake ("Endpoint Handshake",
// "Endpoint Server RPC API"), sans-IO: start() calls begin_handshake(version, client_identity,
// channel); on { server_cookie } the client signs the `gosling-endpoint` proof naming the endpoint
// server's service id and calls send_response; an empty document completes the handshake and the
// stream is the channel's.
import type { IdentityKey } from '../identity/identity-key.js';
import { isValidServiceId } from '../identity/service-id.js';
import {
  BEGIN_COOKIE,
  BEGIN_HANDSHAKE,
  ENDPOINT_NAMESPACE,
  call,
  expectResponse,
  RESPONSE_COOKIE,
  SEND_RESPONSE,
} from './calls.js';
import {
  COOKIE_LENGTH,
  ENDPOINT_DOMAIN,
  isValidRequestName,
  signClientProof,
} from './client-proof.js';
import { HandshakeOrderError } from './errors.js';
import { exactDocument, readBinary } from './gosling-arguments.js';
import { GOSLING_VERSION, HandshakeSession, type SessionOptions } from './handshake-session.js';
import { binary, type Section } from './honk-message.js';

export interface EndpointClientOptions extends SessionOptions {
  /** Our identity onion key: it signs the proof, its service id is `client_identity`. */
  readonly identity: IdentityKey;
  /** The endpoint server we dialled (the proof names it). */
  readonly endpointServiceId: string;
  readonly channel: string;
}

export interface EndpointClientResult {
  readonly endpointServiceId: string;
  readonly channel: string;
}

export class EndpointClientHandshake extends HandshakeSession<EndpointClientResult> {
  readonly #options: EndpointClientOptions;
  #step: 'idle' | 'begun' | 'responded' = 'idle';

  constructor(options: EndpointClientOptions) {
    super(options);
    if (!isValidServiceId(options.endpointServiceId)) throw new RangeError('bad service id');
    if (!isValidRequestName(options.channel)) throw new RangeError('bad channel name');
    this.#options = options;
  }

  /** Sends begin_handshake. Calling it twice is out of order (the session fails). */
  start(): void {
    if (this.#step !== 'idle' || this.state !== 'running') this.callerOutOfOrder('start() twice');
    this.#step = 'begun';
    this.send(
      call(BEGIN_COOKIE, ENDPOINT_NAMESPACE, BEGIN_HANDSHAKE, {
        version: GOSLING_VERSION,
        client_identity: this.#options.identity.serviceId,
        channel: this.#options.channel,
      }),
    );
  }

  protected onSection(section: Exclude<Section, { kind: 'error' }>): void {
    if (this.#step === 'idle') throw new HandshakeOrderError('the server spoke first');
    if (this.#step === 'begun') {
      const response = expectResponse(section, BEGIN_COOKIE);
      if (response) this.#sendResponse(response.result);
      return;
    }
    const response = expectResponse(section, RESPONSE_COOKIE);
    if (response === undefined) return;
    exactDocument(response.result, [], 'send_response result');
    this.complete({
      endpointServiceId: this.#options.endpointServiceId,
      channel: this.#options.channel,
    });
  }

  #sendResponse(result: unknown): void {
    const doc = exactDocument(result, ['server_cookie'], 'begin_handshake result');
    const serverCookie = readBinary(doc, 'server_cookie', COOKIE_LENGTH);
    const clientCookie = this.randomBytes(COOKIE_LENGTH);
    const { identity, endpointServiceId, channel } = this.#options;
    const signature = signClientProof(identity, {
      domain: ENDPOINT_DOMAIN,
      request: channel,
      clientServiceId: identity.serviceId,
      serverServiceId: endpointServiceId,
      clientCookie,
      serverCookie,
    });
    this.#step = 'responded';
    this.send(
      call(RESPONSE_COOKIE, ENDPOINT_NAMESPACE, SEND_RESPONSE, {
        client_cookie: binary(clientCookie),
        client_identity_proof_signature: binary(signature),
      }),
    );
  }
}
