// The core's copy of every contact's endpoint group (docs/ENDPOINTS.md §2, docs/SEAMS.md §2): the
// onion we host for the contact (key + the contact's client-auth key) and the onion it hosts for
// us (service id + our client-auth secret). Secrets are bytes this book owns: it copies what it
// is given, zeroes what it replaces or erases, and `wipeAll()` zeroes everything on close. What
// the vault gets (`record`) are views the vault copies when it saves.
import type { ContactRecord, EndpointRecord } from '../profile/vault-state.js';

export interface HostedEndpoint {
  readonly key: Uint8Array;
  readonly peerClientAuthKey: Uint8Array;
}

export interface PeerEndpoint {
  readonly serviceId: string;
  readonly clientAuthSecret: Uint8Array;
}

interface Entry {
  hosted?: HostedEndpoint;
  peer?: PeerEndpoint;
  negotiatedAt: number;
}

export class EndpointBook {
  readonly #entries = new Map<string, Entry>();

  /** The groups saved in the vault (copied: the vault keeps and zeroes its own). */
  static fromContacts(contacts: readonly ContactRecord[]): EndpointBook {
    const book = new EndpointBook();
    for (const c of contacts) {
      const e = c.endpoint;
      if (e === undefined) continue;
      const entry: Entry = { negotiatedAt: e.negotiatedAt };
      if (e.ourEndpointKey && e.peerClientAuthKey) {
        entry.hosted = {
          key: e.ourEndpointKey.slice(),
          peerClientAuthKey: e.peerClientAuthKey.slice(),
        };
      }
      if (e.peerEndpointServiceId !== undefined && e.ourClientAuthSecret) {
        entry.peer = {
          serviceId: e.peerEndpointServiceId,
          clientAuthSecret: e.ourClientAuthSecret.slice(),
        };
      }
      book.#entries.set(c.serviceId, entry);
    }
    return book;
  }

  hosted(contact: string): HostedEndpoint | undefined {
    return this.#entries.get(contact)?.hosted;
  }

  peer(contact: string): PeerEndpoint | undefined {
    return this.#entries.get(contact)?.peer;
  }

  /** Contacts with any part of a group. */
  contacts(): string[] {
    return [...this.#entries.keys()];
  }

  /** We host a (new) endpoint for `contact`: takes ownership of both arrays. */
  setHosted(contact: string, hosted: HostedEndpoint, now: number): void {
    const entry = this.#entry(contact, now);
    wipeHosted(entry.hosted);
    entry.hosted = hosted;
  }

  /** The contact hosts an endpoint for us: takes ownership of the secret. */
  setPeer(contact: string, peer: PeerEndpoint, now: number): void {
    const entry = this.#entry(contact, now);
    entry.peer?.clientAuthSecret.fill(0);
    entry.peer = peer;
  }

  /** Erases the whole group (contact removed): zeroed, gone from the next save. */
  erase(contact: string): void {
    const entry = this.#entries.get(contact);
    if (entry === undefined) return;
    wipeHosted(entry.hosted);
    entry.peer?.clientAuthSecret.fill(0);
    this.#entries.delete(contact);
  }

  /** The vault form of the group, if any (views into this book's bytes; the vault copies). */
  record(contact: string): EndpointRecord | undefined {
    const entry = this.#entries.get(contact);
    if (entry === undefined || (entry.hosted === undefined && entry.peer === undefined)) {
      return undefined;
    }
    return {
      ...(entry.hosted
        ? { ourEndpointKey: entry.hosted.key, peerClientAuthKey: entry.hosted.peerClientAuthKey }
        : {}),
      ...(entry.peer
        ? {
            peerEndpointServiceId: entry.peer.serviceId,
            ourClientAuthSecret: entry.peer.clientAuthSecret,
          }
        : {}),
      negotiatedAt: entry.negotiatedAt,
    };
  }

  wipeAll(): void {
    for (const contact of [...this.#entries.keys()]) this.erase(contact);
  }

  #entry(contact: string, now: number): Entry {
    let entry = this.#entries.get(contact);
    if (entry === undefined) {
      entry = { negotiatedAt: now };
      this.#entries.set(contact, entry);
    }
    entry.negotiatedAt = now;
    return entry;
  }
}

function wipeHosted(hosted: HostedEndpoint | undefined): void {
  hosted?.key.fill(0);
  hosted?.peerClientAuthKey.fill(0);
}
