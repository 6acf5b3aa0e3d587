import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** qrcode is loaded with the first QR drawn (a pass, a card, a poster), not at start-up. */
let qrcodeModule: typeof import('qrcode') | undefined;
const qrcode = () => (qrcodeModule ??= require('qrcode') as typeof import('qrcode'));

/** The QR symbol of `text`: its size in modules and whether the module at row `r`, column `c` is dark. */
export function qrModules(text: string, level: 'M' | 'Q'): { size: number; dark(r: number, c: number): boolean } {
  const qr = qrcode().create(text, { errorCorrectionLevel: level });
  return { size: qr.modules.size, dark: (r, c) => !!qr.modules.get(r, c) };
}
