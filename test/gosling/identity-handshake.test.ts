// Gosling v0.1.0 identity handshake, both roles in memory byte for byte: the success path, the
// exact messages the spec's RPC API defines, and every failure path ending the session with a
// typed error on both sides (the failing side sends a Honk-RPC error section with its code).
import { Int32 } from 'bson';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { x25519PublicKey, signClientAuthorization } from '../../src/gosling/client-auth.js';
import {
  ClientAuthSignatureError,
  ClientNotAllowedError,
  ClientProofError,
  GoslingError,
  GoslingVersionError,
  HandshakeAbortedError,
  HandshakeArgumentError,
  HandshakeOrderError,
  HandshakeTimeoutError,
  MessageTooBigError,
  PeerErrorError,
  RequestFunctionError,
  RequestNamespaceError,
  UnknownEndpointError,
} from '../../src/gosling/errors.js';
import { IdentityClientHandshake } from '../../src/gosling/identity-client.js';
import {
  IdentityServerHandshake,
  type IdentityServerOptions,
} from '../../src/gosling/identity-server.js';
import {
  alice,
  bin,
  bob,
  bobEndpoint,
  CLIENT_COOKIE,
  clientAuthSecret,
  drain,
  failure,
  fixed,
  mallory,
  pump,
  request,
  sectionsOf,
  SERVER_COOKIE,
} from './handshake-support.js';

function makeServer(options: Partial<IdentityServerOptions> = {}) {
  return new IdentityServerHandshake({
    now: 0,
    serverServiceId: bob.serviceId,
    endpoints: ['sotto'],
    endpointFor: () => bobEndpoint.serviceId,
    randomBytes: fixed(SERVER_COOKIE),
    ...options,
  });
}

function makeClient(endpoint = 'sotto', identity = alice) {
  return new IdentityClientHandshake({
    now: 0,
    identity,
    serverServiceId: bob.serviceId,
    endpoint,
    clientAuthSecret,
    randomBytes: fixed(CLIENT_COOKIE),
  });
}

const begin = (args: Record<string, unknown> = {}) =>
  request(0, 'gosling_identity', 'begin_handshake', {
    version: '0.1.0',
    client_identity: alice.serviceId,
    endpoint: 'sotto',
    ...args,
  });

function proofSignature(serverId = bob.serviceId): Uint8Array {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const proof = `gosling-identity\0sotto\0${alice.serviceId}\0${serverId}\0${hex(CLIENT_COOKIE)}\0${hex(SERVER_COOKIE)}`;
  return alice.sign(Buffer.from(proof, 'latin1'));
}

function sendResponse(args: Record<string, unknown> = {}): Uint8Array {
  const auth = signClientAuthorization(clientAuthSecret, alice.serviceId);
  return request(1, 'gosling_identity', 'send_response', {
    client_cookie: bin(CLIENT_COOKIE),
    client_identity_proof_signature: bin(proofSignature()),
    client_authorization_key: bin(auth.publicKey),
    client_authorization_key_signbit: auth.signbit,
    client_authorization_signature: bin(auth.signature),
    challenge_response: {},
    ...args,
  });
}

/** Feeds `messages` to a fresh server; returns its error and the error code it sent. */
function serverFails(messages: Uint8Array[], server = makeServer()) {
  for (const bytes of messages) server.receive(bytes, 0);
  const sections = sectionsOf(drain(server));
  const last = sections.at(-1) as { id: Int32; code?: Int32 };
  expect(server.state).toBe('failed');
  expect(last.id.value).toBe(0);
  const error = failure(server.takeEvents());
  expect(last.code?.value).toBe(error?.honkCode);
  return error;
}

describe('Gosling identity handshake: client ↔ server', () => {
  it('completes with the endpoint service id and the verified client-auth key on both sides', () => {
    const client = makeClient();
    const server = makeServer();
    client.start();
    pump(client, server);
    const clientKey = x25519PublicKey(clientAuthSecret);
    expect(client.takeEvents()).toEqual([
      {
        type: 'completed',
        result: {
          serverServiceId: bob.serviceId,
          endpoint: 'sotto',
          endpointServiceId: bobEndpoint.serviceId,
          clientAuthKey: clientKey,
        },
      },
    ]);
    expect(server.takeEvents()).toEqual([
      {
        type: 'completed',
        result: {
          clientServiceId: alice.serviceId,
          endpoint: 'sotto',
          clientAuthKey: clientKey,
          endpointServiceId: bobEndpoint.serviceId,
        },
      },
    ]);
  });

  it('sends exactly the calls of the spec, byte for byte what a hand-built client sends', () => {
    const client = makeClient();
    const server = makeServer();
    client.start();
    const { toServer, toClient } = pump(client, server);
    expect(toServer.map((b) => Buffer.from(b).toString('hex'))).toEqual(
      [begin(), sendResponse()].map((b) => Buffer.from(b).toString('hex')),
    );
    const [beginResult, finalResult] = toClient.flatMap((b) => sectionsOf(b));
    expect(beginResult).toMatchObject({ id: new Int32(2), state: new Int32(1) });
    const result = (beginResult as { result: { server_cookie: { sub_type: number } } }).result;
    expect(Object.keys(result)).toEqual(['server_cookie', 'endpoint_challenge']);
    expect(result.server_cookie.sub_type).toBe(0);
    expect((finalResult as { result: unknown }).result).toBe(bobEndpoint.serviceId);
  });

  it('hands back bytes that followed the last message', () => {
    const client = makeClient();
    const server = makeServer();
    client.start();
    server.receive(drain(client), 0);
    client.receive(drain(server), 0);
    server.receive(Buffer.concat([drain(client), Buffer.from('app')]), 0);
    expect(server.state).toBe('completed');
    expect(Buffer.from(server.takeRemainder()).toString()).toBe('app');
    expect(() => server.receive(new Uint8Array([1]), 0)).toThrow(HandshakeOrderError);
  });

  it('fails on a bad identity proof (client dialled another server id)', () => {
    const client = new IdentityClientHandshake({
      now: 0,
      identity: alice,
      serverServiceId: mallory.serviceId,
      endpoint: 'sotto',
      clientAuthSecret,
    });
    const server = makeServer();
    client.start();
    pump(client, server);
    expect(failure(server.takeEvents())).toBeInstanceOf(ClientProofError);
    const peer = failure(client.takeEvents());
    expect(peer).toBeInstanceOf(PeerErrorError);
    expect((peer as PeerErrorError).peerCode).toBe(new ClientProofError('').honkCode);
    expect(
      serverFails([
        begin(),
        sendResponse({ client_identity_proof_signature: bin(proofSignature(mallory.serviceId)) }),
      ]),
    ).toBeInstanceOf(ClientProofError);
  });

  it('fails on a client-authorization signature over another service id or the wrong signbit', () => {
    const auth = signClientAuthorization(clientAuthSecret, mallory.serviceId);
    expect(
      serverFails([begin(), sendResponse({ client_authorization_signature: bin(auth.signature) })]),
    ).toBeInstanceOf(ClientAuthSignatureError);
    expect(
      serverFails([begin(), sendResponse({ client_authorization_key_signbit: !auth.signbit })]),
    ).toBeInstanceOf(ClientAuthSignatureError);
  });

  it('fails on a wrong Gosling version', () => {
    expect(serverFails([begin({ version: '0.2.0' })])).toBeInstanceOf(GoslingVersionError);
  });

  it('fails on an unknown endpoint, and the client learns the code', () => {
    const client = makeClient('files');
    const server = makeServer();
    client.start();
    pump(client, server);
    expect(failure(server.takeEvents())).toBeInstanceOf(UnknownEndpointError);
    const peer = failure(client.takeEvents()) as PeerErrorError;
    expect(peer).toBeInstanceOf(PeerErrorError);
    expect(peer.peerCode).toBe(new UnknownEndpointError('').honkCode);
  });

  it('fails when the application refuses the client', () => {
    const server = makeServer({ endpointFor: () => undefined });
    expect(serverFails([begin(), sendResponse()], server)).toBeInstanceOf(ClientNotAllowedError);
  });

  it('fails on every call out of order', () => {
    expect(serverFails([sendResponse()])).toBeInstanceOf(HandshakeOrderError);
    expect(serverFails([begin(), begin()])).toBeInstanceOf(HandshakeOrderError);
    const client = makeClient();
    client.start();
    expect(() => client.start()).toThrow(HandshakeOrderError);
    expect(client.state).toBe('failed');
    const early = makeClient();
    early.receive(begin(), 0);
    expect(failure(early.takeEvents())).toBeInstanceOf(HandshakeOrderError);
  });

  it('fails on malformed arguments, unknown namespaces and functions', () => {
    expect(serverFails([begin({ extra: 1 })])).toBeInstanceOf(HandshakeArgumentError);
    expect(serverFails([begin({ client_identity: 'x' })])).toBeInstanceOf(HandshakeArgumentError);
    expect(
      serverFails([begin(), sendResponse({ client_cookie: bin(new Uint8Array(31)) })]),
    ).toBeInstanceOf(HandshakeArgumentError);
    expect(serverFails([begin(), sendResponse({ challenge_response: { a: 1 } })])).toBeInstanceOf(
      HandshakeArgumentError,
    );
    expect(serverFails([request(0, 'gosling_endpoint', 'begin_handshake', {})])).toBeInstanceOf(
      RequestNamespaceError,
    );
    expect(serverFails([request(0, 'gosling_identity', 'hello', {})])).toBeInstanceOf(
      RequestFunctionError,
    );
  });

  it('fails on an oversized message from its length prefix', () => {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32LE(4097);
    expect(serverFails([prefix])).toBeInstanceOf(MessageTooBigError);
  });

  it('fails at the deadline and when the transport closes', () => {
    const server = makeServer({ timeoutMs: 1000 });
    server.receive(begin(), 999);
    expect(server.state).toBe('running');
    expect(server.tick(1000)).toBe(true);
    expect(failure(server.takeEvents())).toBeInstanceOf(HandshakeTimeoutError);
    const client = makeClient();
    client.start();
    client.transportClosed();
    expect(failure(client.takeEvents())).toBeInstanceOf(HandshakeAbortedError);
  });
});

describe('Gosling identity handshake: chunking and garbage', () => {
  it('completes when every byte arrives on its own', () => {
    const client = makeClient();
    const server = makeServer();
    client.start();
    for (let round = 0; round < 2; round++) {
      for (const byte of drain(client)) server.receive(Uint8Array.of(byte), 0);
      for (const byte of drain(server)) client.receive(Uint8Array.of(byte), 0);
    }
    expect(client.takeEvents().map((e) => e.type)).toEqual(['completed']);
    expect(server.takeEvents().map((e) => e.type)).toEqual(['completed']);
  });

  it('never throws on random bytes after a valid begin: it runs on or fails typed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const server = makeServer();
        server.receive(begin(), 0);
        server.receive(bytes, 0);
        const error = failure(server.takeEvents());
        if (server.state === 'failed') expect(error).toBeInstanceOf(GoslingError);
        else expect(server.state).toBe('running');
      }),
      { numRuns: 500 },
    );
  });
});
