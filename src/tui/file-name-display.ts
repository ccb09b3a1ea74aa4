// How a (sanitised) file name is shown wherever the UI names a file — the offer dialog, the
// transfer list: padding can never hide the real ending. Runs of whitespace, and whitespace at
// either end, become a visible count (`invoice.pdf⟨200 spaces⟩.sh`, `a⟨3 × U+3000⟩.exe`); a name
// still longer than the room is cut in the middle, never at the end, so the last extension stays
// visible (`very-long-na…me.tar.gz`). Lengths count grapheme clusters; a `⟨…⟩` marker from the
// sanitiser or from here is never cut.

const ELLIPSIS = '…';
const WHITESPACE_RUN = /\s+/gu;
const MARKER = /⟨[^⟨⟩]*⟩/gu;
/** The ending kept whole: the last `.ext` (up to 16 characters, no spaces or markers). */
const LAST_EXTENSION = /\.[^.\s⟨⟩]{1,16}$/u;
/** Characters kept in front of the extension when the middle is cut. */
const TAIL_CONTEXT = 6;

function hex(codePoint: number): string {
  return codePoint.toString(16).toUpperCase().padStart(4, '0');
}

/** `⟨N spaces⟩` for U+0020, `⟨N × U+XXXX⟩` for a run of one other space, else `⟨N blanks⟩`. */
function describeRun(run: string): string {
  const chars = [...run];
  const first = chars[0] as string;
  if (chars.every((ch) => ch === ' '))
    return `⟨${chars.length} space${chars.length > 1 ? 's' : ''}⟩`;
  if (chars.every((ch) => ch === first)) {
    return `⟨${chars.length} × U+${hex(first.codePointAt(0) as number)}⟩`;
  }
  return `⟨${chars.length} blanks⟩`;
}

/** Replaces every run of whitespace but a single one between two visible characters. */
export function showWhitespace(name: string): string {
  return name.replace(WHITESPACE_RUN, (run, offset: number) => {
    const atEdge = offset === 0 || offset + run.length === name.length;
    return !atEdge && [...run].length === 1 ? run : describeRun(run);
  });
}

/** The name as units that are never split: `⟨…⟩` markers and grapheme clusters. */
function units(text: string): string[] {
  const out: string[] = [];
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let last = 0;
  const pushText = (part: string): void => {
    for (const { segment } of segmenter.segment(part)) out.push(segment);
  };
  for (const match of text.matchAll(MARKER)) {
    pushText(text.slice(last, match.index));
    out.push(match[0]);
    last = match.index + match[0].length;
  }
  pushText(text.slice(last));
  return out;
}

function length(parts: readonly string[]): number {
  let total = 0;
  for (const part of parts) total += part.startsWith('⟨') ? [...part].length : 1;
  return total;
}

/**
 * `name` (already sanitised) for display in about `max` characters: whitespace made visible,
 * then, if still too long, the middle replaced by `…` so that the last extension stays.
 */
export function fileNameForDisplay(name: string, max: number): string {
  const shown = showWhitespace(name);
  const parts = units(shown);
  if (length(parts) <= max) return shown;
  const extension = LAST_EXTENSION.exec(shown)?.[0] ?? '';
  const tailBudget = Math.min([...extension].length + TAIL_CONTEXT, Math.floor(max / 2));
  const tail: string[] = [];
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i] as string;
    if (tail.length > 0 && length(tail) + length([part]) > tailBudget) break; // last one always
    tail.unshift(part);
  }
  const head: string[] = [];
  const headBudget = Math.max(0, max - length(tail) - 1);
  for (const part of parts) {
    if (length(head) + length([part]) > headBudget) break;
    head.push(part);
  }
  return head.join('') + ELLIPSIS + tail.join('');
}
