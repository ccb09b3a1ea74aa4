// The base of every error raised by src/core/: each class carries a stable `code` (its own or its
// parent's). The codes that front ends see are listed in COMMAND_ERROR_CODES
// (src/api/core-api.ts, docs/HEADLESS.md).
export abstract class CoreError extends Error {
  /** Stable machine-readable cause, e.g. `queue-full`; a renamed class keeps it. */
  abstract readonly code: string;
}
