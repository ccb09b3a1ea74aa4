// Draws a QR code (qrcode package, ISO/IEC 18004) as text with half-block characters: two
// module rows per terminal line, light modules drawn as blocks so it scans on dark terminals.
import { create } from 'qrcode';

export const QUIET_ZONE = 2;

/** Lines of text (all the same width) showing the QR code of `text`. */
export function qrLines(text: string): readonly string[] {
  const { modules } = create(text, { errorCorrectionLevel: 'L' });
  const size = modules.size;
  const total = size + 2 * QUIET_ZONE;
  const light = (row: number, col: number): boolean => {
    const r = row - QUIET_ZONE;
    const c = col - QUIET_ZONE;
    if (r < 0 || c < 0 || r >= size || c >= size) return true;
    return modules.get(r, c) === 0;
  };
  const lines: string[] = [];
  for (let row = 0; row < total; row += 2) {
    let line = '';
    for (let col = 0; col < total; col++) {
      const top = light(row, col);
      const bottom = row + 1 < total ? light(row + 1, col) : false;
      line += top ? (bottom ? '█' : '▀') : bottom ? '▄' : ' ';
    }
    lines.push(line);
  }
  return lines;
}
