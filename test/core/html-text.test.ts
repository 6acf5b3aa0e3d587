import { describe, expect, it } from 'vitest';
import { htmlToPlain } from '../../src/core/html-text.js';
import { toWebReply } from '../../src/channels/web/index.js';

describe('htmlToPlain', () => {
  it('decodes numeric references, and leaves one that names no character as written instead of throwing', () => {
    // An official's html broadcast comes from the admin API as typed; a bad reference must not stop its delivery.
    expect(htmlToPlain('a &#65; &#x42; &#99999999; b')).toBe('a A B &#99999999; b');
    expect(toWebReply({ text: '<b>Tin</b> &#1114112;', format: 'html' })).toEqual({ text: 'Tin &#1114112;' });
  });
});
