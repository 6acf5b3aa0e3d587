/**
 * Split text into pieces of at most `max` characters, preferring paragraph, line, then sentence ends, then
 * spaces, so no sentence is cut mid-word unless a single word is longer than `max`.
 */
export function splitText(text: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    const cut =
      lastBreak(window, /\n\s*\n/g) ??
      lastBreak(window, /\n/g) ??
      lastBreak(window, /[.!?…]["”')\]]*\s/g) ??
      lastBreak(window, /\s/g) ??
      max;
    pieces.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) pieces.push(rest);
  return pieces;
}

/**
 * End (exclusive) of the last match in `window` past its first quarter. Matches end in whitespace, so a cut
 * at window.length (= max + 1) still leaves at most max characters once trimmed.
 */
function lastBreak(window: string, re: RegExp): number | undefined {
  let best: number | undefined;
  for (const m of window.matchAll(re)) {
    if (m.index > window.length / 4) best = m.index + m[0].length;
  }
  return best;
}
