import { fold } from '../../core/answer-parsing.js';

const MINUTES = String.raw`(?:p|ph|phut|m|min|mins|minute|minutes|')`;
const HOURS = String.raw`(?:h|g|gio|tieng|hour|hours|hr|hrs)`;
const NUMBER = String.raw`(\d{1,4}(?:[.,]\d{1,2})?)`;

const patterns: [RegExp, (m: RegExpExecArray) => number][] = [
  // "90", "90p", "90 phút", "90'", "45 min"
  [new RegExp(`^(\\d{1,4})\\s*${MINUTES}?$`), (m) => Number(m[1])],
  // "2h", "2 giờ", "1,5 tiếng", "2 hours", and with minutes or "rưỡi": "1h30", "1 giờ 30 phút", "1g30", "1 tiếng rưỡi"
  [
    new RegExp(`^${NUMBER}\\s*${HOURS}(?:\\s*(?:(\\d{1,2})\\s*${MINUTES}?|(ruoi)))?$`),
    (m) => Number(m[1]!.replace(',', '.')) * 60 + (m[2] ? Number(m[2]) : m[3] ? 30 : 0),
  ],
  // "1:30"
  [/^(\d{1,2}):(\d{2})$/, (m) => Number(m[1]) * 60 + Number(m[2])],
  // "nửa tiếng", "nửa giờ", "half an hour"
  [/^(?:nua (?:tieng|gio)|half an hour|half hour)$/, () => 30],
  // "một tiếng", "an hour", "một tiếng rưỡi"
  [/^(?:mot (?:tieng|gio)|an hour|one hour)( ruoi)?$/, (m) => 60 + (m[1] ? 30 : 0)],
];

/**
 * How long a visit usually lasts, as owners type it: "90", "90p", "90 phút", "2 giờ", "1,5h", "1h30",
 * "1 giờ 30 phút", "1 tiếng rưỡi", "1:30", "nửa tiếng", "2 hours" → minutes; undefined when not understood.
 */
export function parseStayMinutes(text: string): number | undefined {
  const s = fold(text).replace(/\s*\.$/, '');
  for (const [re, toMinutes] of patterns) {
    const m = re.exec(s);
    if (m) {
      const minutes = Math.round(toMinutes(m));
      return Number.isFinite(minutes) ? minutes : undefined;
    }
  }
  return undefined;
}
