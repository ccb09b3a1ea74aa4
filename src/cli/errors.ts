// The base of every error raised by src/cli/: each class carries a stable `code` (its own or its
// parent's).
export abstract class CliError extends Error {
  /** Stable machine-readable cause, e.g. `usage`; a renamed class keeps it. */
  abstract readonly code: string;
}
