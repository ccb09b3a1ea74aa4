// The one set of limits for everything Sotto keeps (docs/SEAMS.md §1): the in-memory models
// (src/contacts, src/core), the vault validation (src/profile/vault-state.ts), import-ricochet and
// docs/HEADLESS.md all read these numbers. A model never holds more than the vault accepts and the
// vault never accepts more than a model holds, so a save always writes back what was loaded.

/** Text lengths are in UTF-16 code units (what Ricochet v3 counts). */
export const LIMITS = {
  /** A contact's nickname; Ricochet v3's wire limit (src/protocol/limits.ts). */
  nickname: 30,
  /**
   * A nickname as read from a vault written by an older release (import kept up to 256): it is
   * cleaned to the nickname rules on load and written back cleaned. New data never exceeds 30.
   */
  storedNickname: 256,
  /** Chat message text; Ricochet v3's wire limit (src/protocol/limits.ts). */
  messageText: 2_000,
  /** The greeting of a contact request, sent or received (same wire limit). */
  requestMessage: 2_000,
  /** Contacts and outgoing requests together (the contact book); import-ricochet allows as many. */
  contacts: 10_000,
  /** Unanswered incoming contact requests (the oldest is evicted beyond this). */
  incomingRequests: 100,
  /** Remembered rejected addresses (the oldest is forgotten beyond this). */
  rejected: 1_000,
  /** Blocked addresses; blocking one more is refused, never silently dropped. */
  blocked: 10_000,
  /** Messages waiting in one contact's send queue. */
  queuePerContact: 500,
  /** Saved history of one contact (the oldest message leaves when a new one arrives). */
  historyPerContact: 5_000,
  /** Bridge lines in the network settings, and the length of one. */
  bridgeLines: 64,
  bridgeLine: 2_048,
  /** The text of our own last error about an outgoing request. */
  errorText: 1_000,
} as const;
