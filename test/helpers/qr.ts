import jsQRModule from 'jsqr';

// jsqr is CommonJS with a default export; under NodeNext it arrives wrapped.
const jsQR = ((jsQRModule as unknown as { default?: unknown }).default ??
  jsQRModule) as unknown as typeof jsQRModule.default;
import { PNG } from 'pngjs';

/** Decode the QR code in a PNG, as an ordinary reader would; throws when none is found. */
export function decodeQrPng(png: Buffer): string {
  const img = PNG.sync.read(png);
  const code = jsQR(
    new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length),
    img.width,
    img.height,
  );
  if (!code) throw new Error(`no QR code found in the ${img.width}x${img.height} image`);
  return code.data;
}
