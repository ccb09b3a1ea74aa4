// The terminal's columns and rows, updated when the terminal is resized (SIGWINCH → 'resize').
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

export function useTerminalSize(fallback: TerminalSize = { columns: 80, rows: 24 }): TerminalSize {
  const { stdout } = useStdout();
  const read = (): TerminalSize => ({
    columns: stdout.columns || fallback.columns,
    rows: stdout.rows || fallback.rows,
  });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () =>
      setSize({ columns: stdout.columns || fallback.columns, rows: stdout.rows || fallback.rows });
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fallback.columns, fallback.rows]);
  return size;
}
