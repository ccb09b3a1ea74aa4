// The identity server's side of the Gosling v0.1.0 identity handshake ("Identity Handshake",
// "Identity Server RPC API"), sans-IO: begin_handshake(version, client_identity, endpoint) →
// { server_cookie, endpoint_challenge }, then send_response(client_cookie, proof signature,
// client_authorization_key, signbit, client_authorization_signature, challenge_response) → the
// endpoint server's service id. Both signatures are verified before the application is asked for
// the endpoint; any failure sends an error section and ends the session. Sotto defines no
// endpoint challenge: it sends an empty document and accepts only an empty response.
import { clientProof, COOKIE_LENGTH, IDENTITY_DOMAIN, verifyClientProof } from './client-proof.js';
import { SIGNATURE_LENGTH, verifyClientAuthorization, X25519_KEY_LENGTH } from './client-auth.js';
import {
  ClientAuthSignatureError,
  ClientNotAllowedError,
  ClientProofError,
  GoslingVersionError,
  UnknownEndpointError,
} from './errors.js';
import {
  exactDocument,
  readBinary,
  readBoolean,
  readEmptyDocument,
  readRequestName,
  readServiceId,
  readString,
} from './gosling-arguments.js';
import {
  BEGIN_HANDSHAKE,
  expectRequest,
  reply,
  IDENTITY_NAMESPACE,
  SEND_RESPONSE,
} from './calls.js';
import { GOSLING_VERSION, HandshakeSession, type SessionOptions } from './handshake-session.js';
import { binary, type Section } from './honk-message.js';
import { isValidServiceId } from '../identity/service-id.js';

export interface IdentityClientRequest {
  readonly clientServiceId: string;
  readonly endpoint: string;
  /** The client's x25519 public key for the endpoint's client authorization (verified). */
  readonly clientAuthKey: Uint8Array;
}

export interface IdentityServerOptions extends SessionOptions {
  /** This identity server's own service id (the proof names it). */
  readonly serverServiceId: string;
  /** The endpoint names this server offers; any other is UnknownEndpointError. */
  readonly endpoints: readonly string[];
  /**
   * Called once the client is authenticated: the service id of the endpoint server to host for
   * it, or undefined to refuse the client (ClientNotAllowedError).
   */
  readonly endpointFor: (request: IdentityClientRequest) => string | undefined;
}

export interface IdentityServerResult extends IdentityClientRequest {
  readonly endpointServiceId: string;
}

const BEGIN_KEYS = ['version', 'client_identity', 'endpoint'];
const RESPONSE_KEYS = [
  'client_cookie',
  'client_identity_proof_signature',
  'client_authorization_key',
  'client_authorization_key_signbit',
  'client_authorization_signature',
  'challenge_response',
];

export class IdentityServerHandshake extends HandshakeSession<IdentityServerResult> {
  readonly #options: IdentityServerOptions;
  #begun: { clientServiceId: string; endpoint: string; serverCookie: Uint8Array } | undefined;

  constructor(options: IdentityServerOptions) {
    super(options);
    if (!isValidServiceId(options.serverServiceId)) throw new RangeError('bad serverServiceId');
    this.#options = options;
  }

  protected onSection(section: Exclude<Section, { kind: 'error' }>): void {
    if (this.#begun === undefined) this.#begin(section);
    else this.#response(section, this.#begun);
  }

  #begin(section: Exclude<Section, { kind: 'error' }>): void {
    const { request, cookie } = expectRequest(section, IDENTITY_NAMESPACE, BEGIN_HANDSHAKE);
    const args = exactDocument(request.arguments, BEGIN_KEYS, 'begin_handshake arguments');
    if (readString(args, 'version') !== GOSLING_VERSION) {
      throw new GoslingVersionError('only Gosling 0.1.0 is spoken');
    }
    const clientServiceId = readServiceId(args, 'client_identity');
    const endpoint = readRequestName(args, 'endpoint');
    if (!this.#options.endpoints.includes(endpoint)) {
      throw new UnknownEndpointError('this server offers no such endpoint');
    }
    const serverCookie = this.randomBytes(COOKIE_LENGTH);
    this.#begun = { clientServiceId, endpoint, serverCookie };
    this.send(reply(cookie, { server_cookie: binary(serverCookie), endpoint_challenge: {} }));
  }

  #response(
    section: Exclude<Section, { kind: 'error' }>,
    begun: { clientServiceId: string; endpoint: string; serverCookie: Uint8Array },
  ): void {
    const { request, cookie } = expectRequest(section, IDENTITY_NAMESPACE, SEND_RESPONSE);
    const args = exactDocument(request.arguments, RESPONSE_KEYS, 'send_response arguments');
    const clientCookie = readBinary(args, 'client_cookie', COOKIE_LENGTH);
    const proofSignature = readBinary(args, 'client_identity_proof_signature', SIGNATURE_LENGTH);
    const clientAuthKey = readBinary(args, 'client_authorization_key', X25519_KEY_LENGTH);
    const signbit = readBoolean(args, 'client_authorization_key_signbit');
    const authSignature = readBinary(args, 'client_authorization_signature', SIGNATURE_LENGTH);
    readEmptyDocument(args, 'challenge_response');
    const fields = {
      domain: IDENTITY_DOMAIN,
      request: begun.endpoint,
      clientServiceId: begun.clientServiceId,
      serverServiceId: this.#options.serverServiceId,
      clientCookie,
      serverCookie: begun.serverCookie,
    } as const;
    clientProof(fields); // validates the fields before any signature work
    if (!verifyClientProof(fields, proofSignature)) {
      throw new ClientProofError('the client identity proof does not verify');
    }
    const auth = { publicKey: clientAuthKey, signbit, signature: authSignature };
    if (!verifyClientAuthorization(auth, begun.clientServiceId)) {
      throw new ClientAuthSignatureError('the client authorization signature does not verify');
    }
    const clientRequest = {
      clientServiceId: begun.clientServiceId,
      endpoint: begun.endpoint,
      clientAuthKey,
    };
    const endpointServiceId = this.#options.endpointFor(clientRequest);
    if (endpointServiceId === undefined) throw new ClientNotAllowedError('client refused');
    if (!isValidServiceId(endpointServiceId)) throw new RangeError('endpointFor: bad service id');
    this.send(reply(cookie, endpointServiceId));
    this.complete({ ...clientRequest, endpointServiceId });
  }
}
