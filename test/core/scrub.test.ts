import { describe, expect, it } from 'vitest';
import { scrub } from '../../src/core/dialog.js';

describe('scrub', () => {
  it("keeps a failed query's parameters out of both message and stack", () => {
    const err = new Error(
      'Failed query: insert into people (phone, full_name) values ($1, $2)\nparams: +84912345678,Nguyễn Văn An',
    );
    const s = scrub(err);
    expect(s.message).toContain('Failed query');
    expect(JSON.stringify(s)).not.toContain('84912345678');
    expect(JSON.stringify(s)).not.toContain('Nguyễn');
    expect(s.stack).toMatch(/^\s+at /);
  });
});
