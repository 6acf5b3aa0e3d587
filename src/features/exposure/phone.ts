/**
 * A Vietnamese phone number as people write it ("0912 345 678", "84912345678", "+84 912.345.678") → "+84912345678".
 * Undefined when it is not one (9 or 10 digits after the country code, no leading 0 there).
 */
export function normalizeVietnamPhone(input: string): string | undefined {
  const compact = input.replace(/[\s.\-()]/g, '');
  let national: string | undefined;
  if (/^\+84\d+$/.test(compact)) national = compact.slice(3);
  else if (/^0084\d+$/.test(compact)) national = compact.slice(4);
  else if (/^84\d{9,10}$/.test(compact)) national = compact.slice(2);
  else if (/^0\d+$/.test(compact)) national = compact.slice(1);
  if (!national || !/^[1-9]\d{8,9}$/.test(national)) return undefined;
  return `+84${national}`;
}
