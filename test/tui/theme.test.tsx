// NO_COLOR is respected: with colour off, components get no colour at all (state stays visible
// through symbols and words, proven by the other screen tests running with colour off).
import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { ThemeContext, colourFromEnv, useTone } from '../../src/tui/theme.js';

function ToneProbe() {
  const tone = useTone();
  return (
    <Text>
      good={String(tone('good'))} bad={String(tone('bad'))}
    </Text>
  );
}

describe('theme', () => {
  it('turns colour off when NO_COLOR is set to anything non-empty', () => {
    expect(colourFromEnv({})).toBe(true);
    expect(colourFromEnv({ NO_COLOR: '' })).toBe(true);
    expect(colourFromEnv({ NO_COLOR: '1' })).toBe(false);
  });

  it('gives components no colour when colour is off', () => {
    const off = render(
      <ThemeContext.Provider value={{ colour: false }}>
        <ToneProbe />
      </ThemeContext.Provider>,
    );
    expect(off.lastFrame()).toBe('good=undefined bad=undefined');
    off.unmount();
    const on = render(
      <ThemeContext.Provider value={{ colour: true }}>
        <ToneProbe />
      </ThemeContext.Provider>,
    );
    expect(on.lastFrame()).toBe('good=green bad=red');
    on.unmount();
  });
});
