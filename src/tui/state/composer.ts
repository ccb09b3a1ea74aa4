// The composer's text buffer: pure edits over { text, cursor } and the Ricochet message limit
// (2000 UTF-16 code units per chat message, ChatChannel.proto).
import type { ComposerState } from './types.js';

export const MESSAGE_LIMIT_UTF16 = 2000;

export const emptyComposer: ComposerState = { text: '', cursor: 0, rejected: false };

/** Length as the protocol counts it: UTF-16 code units. */
export function utf16Length(text: string): number {
  return text.length;
}

export function isOverLimit(text: string): boolean {
  return utf16Length(text) > MESSAGE_LIMIT_UTF16;
}

/** Input typed or pasted into the composer: CR/CRLF become \n, other controls are dropped. */
export function cleanTypedInput(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[^\P{Cc}\n]/gu, '')
    .replace(/\t/g, '    ');
}

export function insertText(state: ComposerState, text: string): ComposerState {
  const clean = cleanTypedInput(text);
  if (clean === '') return state;
  const next = state.text.slice(0, state.cursor) + clean + state.text.slice(state.cursor);
  return { text: next, cursor: state.cursor + clean.length, rejected: false };
}

function codePointBefore(text: string, index: number): number {
  if (index <= 0) return 0;
  const low = text.charCodeAt(index - 1);
  const high = text.charCodeAt(index - 2);
  const isPair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
  return isPair ? 2 : 1;
}

function codePointAt(text: string, index: number): number {
  if (index >= text.length) return 0;
  const cp = text.codePointAt(index) ?? 0;
  return cp > 0xffff ? 2 : 1;
}

export function backspace(state: ComposerState): ComposerState {
  const width = codePointBefore(state.text, state.cursor);
  if (width === 0) return state;
  const text = state.text.slice(0, state.cursor - width) + state.text.slice(state.cursor);
  return { text, cursor: state.cursor - width, rejected: false };
}

export function deleteForward(state: ComposerState): ComposerState {
  const width = codePointAt(state.text, state.cursor);
  if (width === 0) return state;
  const text = state.text.slice(0, state.cursor) + state.text.slice(state.cursor + width);
  return { ...state, text, rejected: false };
}

export function moveCursor(
  state: ComposerState,
  to: 'left' | 'right' | 'home' | 'end',
): ComposerState {
  switch (to) {
    case 'left':
      return { ...state, cursor: state.cursor - codePointBefore(state.text, state.cursor) };
    case 'right':
      return { ...state, cursor: state.cursor + codePointAt(state.text, state.cursor) };
    case 'home':
      return { ...state, cursor: state.text.lastIndexOf('\n', state.cursor - 1) + 1 };
    case 'end': {
      const end = state.text.indexOf('\n', state.cursor);
      return { ...state, cursor: end === -1 ? state.text.length : end };
    }
  }
}
