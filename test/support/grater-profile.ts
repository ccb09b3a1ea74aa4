// Reads an onion-grater profile (the YAML format of Tails' and Whonix's onion-grater: a list of
// filters with `commands`, `confs`, `events`) and applies it the way onion-grater does: a command
// passes when a rule's `pattern` matches its whole argument string; a rule with `replacement`
// rewrites the arguments (`{}` = the next match group, `{client-address}` = the client's IP);
// SETEVENTS passes only when every event is listed; anything else is `510 Command filtered`.
// Used by the profile tests and by the filter process the Tails/Whonix tests run Sotto against.
import { load } from 'js-yaml';

export interface GraterRule {
  readonly pattern: string;
  readonly replacement?: string;
}

export interface GraterProfile {
  /** Command keyword (upper case) → its argument rules. */
  readonly commands: ReadonlyMap<string, readonly GraterRule[]>;
  /** Event name (upper case) → suppressed (subscription faked, nothing delivered). */
  readonly events: ReadonlyMap<string, { readonly suppress: boolean }>;
}

export class GraterProfileError extends Error {
  override name = 'GraterProfileError';
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new GraterProfileError(`${what} is not a mapping`);
  }
  return value as Record<string, unknown>;
}

function rule(value: unknown): GraterRule {
  if (typeof value === 'string') return { pattern: value };
  const fields = record(value, 'rule');
  if (typeof fields['pattern'] !== 'string') throw new GraterProfileError('rule without pattern');
  if (fields['replacement'] !== undefined && typeof fields['replacement'] !== 'string') {
    throw new GraterProfileError('replacement is not a string');
  }
  return {
    pattern: fields['pattern'],
    ...(typeof fields['replacement'] === 'string' ? { replacement: fields['replacement'] } : {}),
  };
}

/** Parses a profile file holding exactly one filter (as ours do). */
export function parseGraterProfile(yamlText: string): GraterProfile {
  const filters = load(yamlText);
  if (!Array.isArray(filters) || filters.length !== 1) {
    throw new GraterProfileError('a profile must hold a list with exactly one filter');
  }
  const filter = record(filters[0], 'filter');
  if (filter['confs'] !== undefined) throw new GraterProfileError('confs are not expected');
  const commands = new Map<string, GraterRule[]>();
  for (const [name, rules] of Object.entries(record(filter['commands'], 'commands'))) {
    commands.set(name.toUpperCase(), Array.isArray(rules) ? rules.map(rule) : []);
  }
  const events = new Map<string, { suppress: boolean }>();
  for (const [name, options] of Object.entries(record(filter['events'], 'events'))) {
    events.set(name.toUpperCase(), { suppress: record(options, 'event')['suppress'] === true });
  }
  return { commands, events };
}

/** onion-grater anchors a pattern at both ends (`re.match(pattern + "$", args)`). */
function whole(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

function split(line: string): { keyword: string; args: string } {
  const match = /^(\S+)\s*(.*)$/su.exec(line);
  return { keyword: (match?.[1] ?? '').toUpperCase(), args: match?.[2] ?? '' };
}

export type GraterVerdict =
  { readonly kind: 'pass'; readonly line: string } | { readonly kind: 'filtered' };

/** What the filter does with one command line (AUTHENTICATE/PROTOCOLINFO/QUIT aside). */
export function judge(profile: GraterProfile, line: string, clientAddress: string): GraterVerdict {
  const { keyword, args } = split(line);
  if (keyword === 'SETEVENTS') {
    const events = args.split(/\s+/u).filter((e) => e !== '');
    return events.every((e) => profile.events.has(e.toUpperCase()))
      ? { kind: 'pass', line }
      : { kind: 'filtered' };
  }
  for (const candidate of profile.commands.get(keyword) ?? []) {
    const match = whole(candidate.pattern).exec(args);
    if (match === null) continue;
    if (candidate.replacement === undefined) return { kind: 'pass', line };
    const groups = match.slice(1);
    const rewritten = candidate.replacement
      .replaceAll('{client-address}', clientAddress)
      .replace(/\{\}/gu, () => groups.shift() ?? '');
    return { kind: 'pass', line: `${keyword} ${rewritten}` };
  }
  return { kind: 'filtered' };
}

/** Events a filter delivers: listed and not suppressed. */
export function delivers(profile: GraterProfile, eventLine: string): boolean {
  const name = split(eventLine).keyword;
  const options = profile.events.get(name);
  return options !== undefined && !options.suppress;
}
