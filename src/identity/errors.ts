// The base of every error raised by src/identity/: each class carries a stable `code` (its own or
// its parent's), so callers and the headless front end branch on the class or the code, never on
// the class name or the message text.
export abstract class IdentityError extends Error {
  /** Stable machine-readable cause, e.g. `invalid-address`; a renamed class keeps it. */
  abstract readonly code: string;
}
