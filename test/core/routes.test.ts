// The route policy (src/core/routes.ts, docs/ENDPOINTS.md §2): identity until an endpoint is held,
// endpoint then; after a failed endpoint dial the identity onion, after a failed identity dial the
// endpoint again (a contact whose identity onion is dark is still reached); never an endpoint with
// endpoints off (--ricochet-compat, tor refused client authorization).
import { describe, expect, it } from 'vitest';
import { EndpointBook } from '../../src/core/endpoint-book.js';
import { identityRoute, RoutePolicy } from '../../src/core/routes.js';
import { IdentityKey } from '../../src/identity/identity-key.js';

const contact = IdentityKey.generate().serviceId;
const endpoint = IdentityKey.generate().serviceId;

function policy(enabled = true): { book: EndpointBook; routes: RoutePolicy } {
  const book = new EndpointBook();
  return { book, routes: new RoutePolicy(book, () => enabled) };
}

describe('route policy', () => {
  it('dials the identity onion until an endpoint is held, then the endpoint', () => {
    const { book, routes } = policy();
    expect(routes.route(contact)).toEqual(identityRoute(contact));
    book.setPeer(contact, { serviceId: endpoint, clientAuthSecret: new Uint8Array(32) }, 1);
    expect(routes.route(contact)).toEqual({
      via: 'endpoint',
      serviceId: endpoint,
      port: 9878,
      handshake: 'gosling-endpoint',
    });
  });

  it('alternates after failures, and an endpoint success ends the alternation', () => {
    const { book, routes } = policy();
    book.setPeer(contact, { serviceId: endpoint, clientAuthSecret: new Uint8Array(32) }, 1);
    const first = routes.route(contact);
    routes.failed(contact, first);
    const second = routes.route(contact);
    expect(second.via).toBe('identity');
    routes.failed(contact, second);
    const third = routes.route(contact);
    expect(third.via).toBe('endpoint');
    routes.failed(contact, third);
    expect(routes.route(contact).via).toBe('identity');
    routes.succeeded(contact, third);
    expect(routes.route(contact).via).toBe('endpoint');
    // Identity failures alone (no endpoint failure before) change nothing.
    routes.failed(contact, identityRoute(contact));
    expect(routes.route(contact).via).toBe('endpoint');
  });

  it('never routes to an endpoint with endpoints off', () => {
    const { book, routes } = policy(false);
    book.setPeer(contact, { serviceId: endpoint, clientAuthSecret: new Uint8Array(32) }, 1);
    expect(routes.route(contact)).toEqual(identityRoute(contact));
  });

  it('the book zeroes what it replaces and erases', () => {
    const book = new EndpointBook();
    const first = new Uint8Array(32).fill(1);
    book.setPeer(contact, { serviceId: endpoint, clientAuthSecret: first }, 1);
    const key = new Uint8Array(64).fill(2);
    book.setHosted(contact, { key, peerClientAuthKey: new Uint8Array(32).fill(3) }, 2);
    book.setPeer(contact, { serviceId: endpoint, clientAuthSecret: new Uint8Array(32) }, 3);
    expect(first.every((b) => b === 0)).toBe(true);
    book.erase(contact);
    expect(key.every((b) => b === 0)).toBe(true);
    expect(book.record(contact)).toBeUndefined();
  });
});
