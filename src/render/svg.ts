import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
/** resvg (a native module) is loaded with the first image: start-up and memory of an instance that draws none. */
let resvg: typeof import('@resvg/resvg-js') | undefined;
const loadResvg = () => (resvg ??= require('@resvg/resvg-js') as typeof import('@resvg/resvg-js'));
const fontRoot = path.dirname(require.resolve('@expo-google-fonts/be-vietnam-pro/package.json'));

/**
 * Be Vietnam Pro: a typeface drawn for Vietnamese, so every diacritic (ặ, ỡ, ữ…) renders. Bundled from npm;
 * no system fonts are used, so images look the same on every machine.
 */
export const FONT_FAMILY = 'Be Vietnam Pro';
export const FONT_FILES = {
  regular: path.join(fontRoot, '400Regular/BeVietnamPro_400Regular.ttf'),
  semibold: path.join(fontRoot, '600SemiBold/BeVietnamPro_600SemiBold.ttf'),
  bold: path.join(fontRoot, '700Bold/BeVietnamPro_700Bold.ttf'),
};

function renderOptions(width?: number) {
  return {
    fitTo: width ? ({ mode: 'width', value: width } as const) : ({ mode: 'original' } as const),
    font: {
      loadSystemFonts: false,
      fontFiles: Object.values(FONT_FILES),
      defaultFontFamily: FONT_FAMILY,
    },
    background: '#ffffff',
  };
}

/** Render an SVG document with the bundled fonts only, at `width` pixels wide (raw pixels for custom encoders). */
function renderSvg(svg: string, width?: number) {
  return new (loadResvg().Resvg)(svg, renderOptions(width)).render();
}

/**
 * The same, on libuv's thread pool. Raw pixels, for custom encoders. The passes are drawn this way on their own
 * thread (features/pass/image-thread.ts): `renderSvg` would leave a Resvg object per image (the parsed document
 * and fonts, native memory V8 does not see) until a garbage collection that does not come soon enough — a
 * thread drawing 640 passes held 900 MB.
 */
export function renderSvgAsync(svg: string, width?: number) {
  return loadResvg().renderAsync(svg, renderOptions(width));
}

/** Render an SVG document to PNG at `width` pixels wide, with the bundled fonts only. */
export function svgToPng(svg: string, width?: number): Buffer {
  return renderSvg(svg, width).asPng();
}
