// Gosling v0.1.0 endpoint handshake, both roles in memory byte for byte: success per channel,
// the exact calls of the spec's endpoint RPC API, and the failure paths (unknown channel, wrong
// client identity, bad proof, wrong version, out of order, oversize, deadline).
import { describe, expect, it } from 'vitest';
import { EndpointClientHandshake } from '../../src/gosling/endpoint-client.js';
import {
  EndpointServerHandshake,
  type EndpointServerOptions,
} from '../../src/gosling/endpoint-server.js';
import {
  ClientNotAllowedError,
  ClientProofError,
  GoslingVersionError,
  HandshakeOrderError,
  HandshakeTimeoutError,
  MessageTooBigError,
  PeerErrorError,
  UnknownChannelError,
} from '../../src/gosling/errors.js';
import type { IdentityKey } from '../../src/identity/identity-key.js';
import {
  alice,
  bin,
  bobEndpoint,
  CLIENT_COOKIE,
  drain,
  failure,
  fixed,
  mallory,
  pump,
  request,
  SERVER_COOKIE,
} from './handshake-support.js';

function makeServer(options: Partial<EndpointServerOptions> = {}) {
  return new EndpointServerHandshake({
    now: 0,
    endpointServiceId: bobEndpoint.serviceId,
    clientServiceId: alice.serviceId,
    channels: ['chat', 'bulk'],
    randomBytes: fixed(SERVER_COOKIE),
    ...options,
  });
}

function makeClient(channel = 'chat', identity: IdentityKey = alice, endpoint = bobEndpoint) {
  return new EndpointClientHandshake({
    now: 0,
    identity,
    endpointServiceId: endpoint.serviceId,
    channel,
    randomBytes: fixed(CLIENT_COOKIE),
  });
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function handBuiltCalls(channel: string, identity: IdentityKey): Uint8Array[] {
  const proof =
    `gosling-endpoint\0${channel}\0${identity.serviceId}\0${bobEndpoint.serviceId}\0` +
    `${hex(CLIENT_COOKIE)}\0${hex(SERVER_COOKIE)}`;
  return [
    request(0, 'gosling_endpoint', 'begin_handshake', {
      version: '0.1.0',
      client_identity: identity.serviceId,
      channel,
    }),
    request(1, 'gosling_endpoint', 'send_response', {
      client_cookie: bin(CLIENT_COOKIE),
      client_identity_proof_signature: bin(identity.sign(Buffer.from(proof, 'latin1'))),
    }),
  ];
}

function run(client: EndpointClientHandshake, server: EndpointServerHandshake) {
  client.start();
  const bytes = pump(client, server);
  return { ...bytes, client: client.takeEvents(), server: server.takeEvents() };
}

describe('Gosling endpoint handshake: client ↔ server', () => {
  it('completes for each offered channel, with the calls a hand-built client sends', () => {
    for (const channel of ['chat', 'bulk']) {
      const result = run(makeClient(channel), makeServer());
      expect(result.client).toEqual([
        { type: 'completed', result: { endpointServiceId: bobEndpoint.serviceId, channel } },
      ]);
      expect(result.server).toEqual([
        { type: 'completed', result: { clientServiceId: alice.serviceId, channel } },
      ]);
      expect(result.toServer.map(hex)).toEqual(handBuiltCalls(channel, alice).map(hex));
    }
  });

  it('hands the stream to the channel: bytes after the last message are the app’s', () => {
    const client = makeClient();
    const server = makeServer();
    client.start();
    server.receive(drain(client), 0);
    client.receive(drain(server), 0);
    const [response] = client.takeOutput();
    server.receive(Buffer.concat([response as Uint8Array, Buffer.from('hello')]), 0);
    client.receive(Buffer.concat([drain(server), Buffer.from('hi')]), 0);
    expect(Buffer.from(server.takeRemainder()).toString()).toBe('hello');
    expect(Buffer.from(client.takeRemainder()).toString()).toBe('hi');
  });

  it('refuses an unknown channel', () => {
    const result = run(makeClient('voice'), makeServer());
    expect(failure(result.server)).toBeInstanceOf(UnknownChannelError);
    expect((failure(result.client) as PeerErrorError).peerCode).toBe(
      new UnknownChannelError('').honkCode,
    );
  });

  it('refuses a client that proves another identity than the contact it serves', () => {
    const result = run(makeClient('chat', mallory), makeServer());
    expect(failure(result.server)).toBeInstanceOf(ClientNotAllowedError);
    expect(failure(result.client)).toBeInstanceOf(PeerErrorError);
  });

  it('refuses a proof made for another endpoint (the server id is in the proof)', () => {
    const result = run(makeClient('chat', alice, mallory), makeServer());
    expect(failure(result.server)).toBeInstanceOf(ClientProofError);
  });

  it('refuses a wrong version, calls out of order and an oversized message', () => {
    const server = makeServer();
    server.receive(
      request(0, 'gosling_endpoint', 'begin_handshake', {
        version: '1.0.0',
        client_identity: alice.serviceId,
        channel: 'chat',
      }),
      0,
    );
    expect(failure(server.takeEvents())).toBeInstanceOf(GoslingVersionError);
    const early = makeServer();
    early.receive(handBuiltCalls('chat', alice)[1] as Uint8Array, 0);
    expect(failure(early.takeEvents())).toBeInstanceOf(HandshakeOrderError);
    const big = makeServer();
    big.receive(Uint8Array.from([0x00, 0x00, 0x01, 0x00]), 0); // 65536 bytes announced
    expect(failure(big.takeEvents())).toBeInstanceOf(MessageTooBigError);
    const client = makeClient();
    client.start();
    expect(() => client.start()).toThrow(HandshakeOrderError);
  });

  it('fails at the deadline', () => {
    const client = makeClient();
    client.start();
    expect(client.tick(59_999)).toBe(false);
    expect(client.tick(60_000)).toBe(true);
    expect(failure(client.takeEvents())).toBeInstanceOf(HandshakeTimeoutError);
  });
});
