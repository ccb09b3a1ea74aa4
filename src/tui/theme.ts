// Colour on or off (NO_COLOR, https://no-color.org): components ask for a tone and get an Ink
// colour or nothing. State is always also shown by symbols and words, never by colour alone.
import { createContext, useContext } from 'react';

export type Tone = 'accent' | 'good' | 'warn' | 'bad' | 'muted';

const COLOURS: Readonly<Record<Tone, string>> = {
  accent: 'cyan',
  good: 'green',
  warn: 'yellow',
  bad: 'red',
  muted: 'gray',
};

export interface Theme {
  readonly colour: boolean;
}

export const ThemeContext = createContext<Theme>({ colour: true });

/** True unless NO_COLOR is set to a non-empty value. */
export function colourFromEnv(env: NodeJS.ProcessEnv): boolean {
  const noColor = env['NO_COLOR'];
  return noColor === undefined || noColor === '';
}

/** The colour for `tone`, or undefined when colour is off. */
export function useTone(): (tone: Tone) => string | undefined {
  const { colour } = useContext(ThemeContext);
  return (tone) => (colour ? COLOURS[tone] : undefined);
}
