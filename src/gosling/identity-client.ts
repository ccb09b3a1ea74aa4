// The identity client's side of the Gosling v0.1.0 identity handshake ("Identity Handshake",
// "Identity Server RPC API"), sans-IO: start() calls begin_handshake; on its result the client
// signs the proof (`gosling-identity`) and its client-authorization key, calls send_response, and
// completes with the endpoint server's service id. Sotto defines no endpoint challenge: the
// server's endpoint_challenge must be an empty document, and the response is one too.
import type { IdentityKey } from '../identity/identity-key.js';
import { isValidServiceId } from '../identity/service-id.js';
import {
  COOKIE_LENGTH,
  IDENTITY_DOMAIN,
  isValidRequestName,
  signClientProof,
} from './client-proof.js';
import { signClientAuthorization } from './client-auth.js';
import { HandshakeArgumentError, HandshakeOrderError } from './errors.js';
import { exactDocument, readBinary, readEmptyDocument } from './gosling-arguments.js';
import {
  BEGIN_COOKIE,
  BEGIN_HANDSHAKE,
  call,
  expectResponse,
  IDENTITY_NAMESPACE,
  RESPONSE_COOKIE,
  SEND_RESPONSE,
} from './calls.js';
import { GOSLING_VERSION, HandshakeSession, type SessionOptions } from './handshake-session.js';
import { binary, type Section } from './honk-message.js';

export interface IdentityClientOptions extends SessionOptions {
  /** Our identity onion key: it signs the proof, its service id is `client_identity`. */
  readonly identity: IdentityKey;
  /** The identity server we dialled. */
  readonly serverServiceId: string;
  readonly endpoint: string;
  /** x25519 secret whose public key will encrypt our endpoint's descriptor. */
  readonly clientAuthSecret: Uint8Array;
}

export interface IdentityClientResult {
  readonly serverServiceId: string;
  readonly endpoint: string;
  readonly endpointServiceId: string;
  /** The x25519 public key the server will use for the endpoint's client authorization. */
  readonly clientAuthKey: Uint8Array;
}

type Step = 'idle' | 'begun' | 'responded';

export class IdentityClientHandshake extends HandshakeSession<IdentityClientResult> {
  readonly #options: IdentityClientOptions;
  #step: Step = 'idle';
  #clientAuthKey: Uint8Array | undefined;

  constructor(options: IdentityClientOptions) {
    super(options);
    if (!isValidServiceId(options.serverServiceId)) throw new RangeError('bad serverServiceId');
    if (!isValidRequestName(options.endpoint)) throw new RangeError('bad endpoint name');
    this.#options = options;
  }

  /** Sends begin_handshake. Calling it twice is out of order (the session fails). */
  start(): void {
    if (this.#step !== 'idle' || this.state !== 'running') this.callerOutOfOrder('start() twice');
    this.#step = 'begun';
    this.send(
      call(BEGIN_COOKIE, IDENTITY_NAMESPACE, BEGIN_HANDSHAKE, {
        version: GOSLING_VERSION,
        client_identity: this.#options.identity.serviceId,
        endpoint: this.#options.endpoint,
      }),
    );
  }

  protected onSection(section: Exclude<Section, { kind: 'error' }>): void {
    if (this.#step === 'idle') throw new HandshakeOrderError('the server spoke first');
    if (this.#step === 'begun') {
      const response = expectResponse(section, BEGIN_COOKIE);
      if (response) this.#sendResponse(response.result);
    } else {
      const response = expectResponse(section, RESPONSE_COOKIE);
      if (response) this.#finish(response.result);
    }
  }

  #sendResponse(result: unknown): void {
    const doc = exactDocument(result, ['server_cookie', 'endpoint_challenge'], 'begin result');
    const serverCookie = readBinary(doc, 'server_cookie', COOKIE_LENGTH);
    readEmptyDocument(doc, 'endpoint_challenge');
    const clientCookie = this.randomBytes(COOKIE_LENGTH);
    const { identity, serverServiceId, endpoint, clientAuthSecret } = this.#options;
    const signature = signClientProof(identity, {
      domain: IDENTITY_DOMAIN,
      request: endpoint,
      clientServiceId: identity.serviceId,
      serverServiceId,
      clientCookie,
      serverCookie,
    });
    const auth = signClientAuthorization(clientAuthSecret, identity.serviceId);
    this.#clientAuthKey = auth.publicKey;
    this.#step = 'responded';
    this.send(
      call(RESPONSE_COOKIE, IDENTITY_NAMESPACE, SEND_RESPONSE, {
        client_cookie: binary(clientCookie),
        client_identity_proof_signature: binary(signature),
        client_authorization_key: binary(auth.publicKey),
        client_authorization_key_signbit: auth.signbit,
        client_authorization_signature: binary(auth.signature),
        challenge_response: {},
      }),
    );
  }

  #finish(result: unknown): void {
    if (typeof result !== 'string' || !isValidServiceId(result)) {
      throw new HandshakeArgumentError('send_response must return an endpoint service id');
    }
    this.complete({
      serverServiceId: this.#options.serverServiceId,
      endpoint: this.#options.endpoint,
      endpointServiceId: result,
      clientAuthKey: this.#clientAuthKey as Uint8Array,
    });
  }
}
