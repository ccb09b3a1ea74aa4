// The terminal QR code is a faithful drawing of the qrcode package's module matrix.
import { create } from 'qrcode';
import { describe, expect, it } from 'vitest';
import { QUIET_ZONE, qrLines } from '../../src/tui/qr.js';

/** Reads the drawing back into light/dark modules. */
function decodeDrawing(lines: readonly string[], total: number): boolean[][] {
  const light: boolean[][] = Array.from({ length: total }, () => Array<boolean>(total).fill(false));
  lines.forEach((line, i) => {
    [...line].forEach((ch, col) => {
      const top = ch === '█' || ch === '▀';
      const bottom = ch === '█' || ch === '▄';
      light[2 * i]![col] = top;
      if (2 * i + 1 < total) light[2 * i + 1]![col] = bottom;
    });
  });
  return light;
}

describe('qrLines', () => {
  it('draws every module of the QR code (light as blocks) inside a quiet zone', () => {
    const text = 'ricochet:4ycq35jc5ywzhkycjgl35yc5aafey3opf45mxddmy6kjt3muelnu6yid';
    const { modules } = create(text, { errorCorrectionLevel: 'L' });
    const total = modules.size + 2 * QUIET_ZONE;
    const lines = qrLines(text);
    expect(lines).toHaveLength(Math.ceil(total / 2));
    for (const line of lines) expect([...line]).toHaveLength(total);
    const light = decodeDrawing(lines, total);
    for (let r = 0; r < total; r++) {
      for (let c = 0; c < total; c++) {
        const inside =
          r >= QUIET_ZONE && c >= QUIET_ZONE && r < total - QUIET_ZONE && c < total - QUIET_ZONE;
        const expected = inside ? modules.get(r - QUIET_ZONE, c - QUIET_ZONE) === 0 : true;
        expect(light[r]![c], `module ${r},${c}`).toBe(expected);
      }
    }
    expect(total).toBeLessThanOrEqual(80);
    expect(lines.length).toBeLessThanOrEqual(20);
  });
});
