// Renders the whole App as a terminal user sees it, with the props most UI tests share (protected
// profile, no bell, no colour, 80×24); a test passes only what it is about.
import { render } from 'ink-testing-library';
import { App, type AppProps } from '../../../src/tui/components/App.js';

export function renderApp(
  props: Pick<AppProps, 'core' | 'ownAddress'> & Partial<AppProps>,
): ReturnType<typeof render> {
  return render(
    <App
      protectedProfile
      bell={false}
      colour={false}
      onQuit={() => undefined}
      width={80}
      height={24}
      {...props}
    />,
  );
}
