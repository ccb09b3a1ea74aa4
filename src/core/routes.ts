// Which way to dial a contact (docs/SEAMS.md §4, docs/ENDPOINTS.md §2): a Route names the onion,
// its port and the handshake that opens the stream. The policy: the contact's endpoint when one
// was negotiated, endpoints are on (not --ricochet-compat, tor accepts client authorization) and
// it is not failing; else the identity onion. A failed endpoint dial sends the next dial to the
// identity onion; a failed identity dial (while the endpoint is failing) tries the endpoint again,
// so a contact whose identity onion is dark is still reached. (Whether an endpoint is lost is
// decided in endpoints.ts, while the contact is live on its identity onion.)
import { RICOCHET_PORT } from '../identity/service-id.js';
import type { EndpointBook } from './endpoint-book.js';

/** The port of every endpoint onion: the same virtual port as the identity onion's Ricochet one. */
export const ENDPOINT_PORT = RICOCHET_PORT;

export interface Route {
  readonly via: 'identity' | 'endpoint';
  readonly serviceId: string;
  readonly port: number;
  readonly handshake: 'ricochet' | 'gosling-endpoint';
}

export function identityRoute(serviceId: string): Route {
  return { via: 'identity', serviceId, port: RICOCHET_PORT, handshake: 'ricochet' };
}

export class RoutePolicy {
  readonly #book: EndpointBook;
  readonly #enabled: () => boolean;
  /** Contacts whose last endpoint dial failed, and whether the next dial is the identity one. */
  readonly #failing = new Map<string, { nextViaIdentity: boolean }>();

  constructor(book: EndpointBook, enabled: () => boolean) {
    this.#book = book;
    this.#enabled = enabled;
  }

  route(contact: string): Route {
    const peer = this.#enabled() ? this.#book.peer(contact) : undefined;
    if (peer === undefined || this.#failing.get(contact)?.nextViaIdentity === true) {
      return identityRoute(contact);
    }
    return {
      via: 'endpoint',
      serviceId: peer.serviceId,
      port: ENDPOINT_PORT,
      handshake: 'gosling-endpoint',
    };
  }

  /** A dial along `route` ended before the peer was authenticated. */
  failed(contact: string, route: Route): void {
    if (route.via === 'endpoint') this.#failing.set(contact, { nextViaIdentity: true });
    else if (this.#failing.has(contact)) this.#failing.set(contact, { nextViaIdentity: false });
  }

  /** An endpoint connection authenticated: the endpoint works. */
  succeeded(contact: string, route: Route): void {
    if (route.via === 'endpoint') this.#failing.delete(contact);
  }

  /** A fresh endpoint was negotiated (or the contact forgotten). */
  reset(contact: string): void {
    this.#failing.delete(contact);
  }
}
