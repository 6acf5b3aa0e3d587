/**
 * A name others may see (venue owners, staff): the given name (last word) in full, the rest as initials —
 * "Nguyễn Văn An" → "N. V. An". Enough to tell visitors apart, not to identify a stranger.
 */
export function maskName(fullName: string): string {
  const words = fullName.trim().split(/\s+/).filter(Boolean);
  if (words.length <= 1) return words[0] ?? '';
  const given = words[words.length - 1]!;
  return [...words.slice(0, -1).map((w) => `${w[0]!.toUpperCase()}.`), given].join(' ');
}
