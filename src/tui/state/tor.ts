// Tor status for the UI: bootstrap percent + phase, and a problem classified into the failure
// screens the UI knows how to explain (tor missing, bootstrap stuck, control port filtered).
import { sanitizeForTerminal } from '../sanitize.js';
import type { TorProblemKind, TorState } from './types.js';

export const initialTor: TorState = {
  progress: 0,
  summary: 'Starting',
  published: false,
  problem: null,
};

/** Best-effort classification of the core's problem summary (plain words, no codes in the contract). */
export function classifyTorProblem(summary: string): TorProblemKind {
  const s = summary.toLowerCase();
  if (/not found|missing|enoent|not installed|no tor/.test(s)) return 'tor-missing';
  if (/control ?port|filter|onion-grater|permission denied/.test(s)) return 'control-filtered';
  // A refused or unreachable connection during bootstrap is the network (or a bridge), not tor's
  // control port: tor's own bootstrap warnings say "Connection refused", "No route to host"…
  if (/stuck|timed? ?out|no progress|bootstrap|refused|unreachable|no route|cannot reach/.test(s)) {
    return 'bootstrap-stuck';
  }
  return 'other';
}

export function torProgress(tor: TorState, progress: number, summary: string): TorState {
  const p = Number.isFinite(progress) ? Math.min(100, Math.max(0, progress)) : 0;
  return {
    ...tor,
    progress: p,
    summary: sanitizeForTerminal(summary, { maxLength: 200 }),
    problem: null,
  };
}

export function torProblem(tor: TorState, summary: string, recommendation: string): TorState {
  const cleanSummary = sanitizeForTerminal(summary, { maxLength: 300 });
  return {
    ...tor,
    problem: {
      kind: classifyTorProblem(cleanSummary),
      summary: cleanSummary,
      // tor's raw RECOMMENDATION keywords ("ignore", "warn") are severities, not advice.
      recommendation: /^\s*(ignore|warn)\s*$/i.test(recommendation)
        ? ''
        : sanitizeForTerminal(recommendation, { multiline: true, maxLength: 1000 }),
    },
  };
}
