// The base of every error raised by src/onion/: each class carries a stable `code` (its own or its
// parent's); TorControlError adds tor's reply `status`.
export abstract class OnionError extends Error {
  /** Stable machine-readable cause, e.g. `tor-start`; a renamed class keeps it. */
  abstract readonly code: string;
}
