import {
  escapeAndCut,
  escapeMrkdwn,
  link,
  mrkdwnToText,
} from '../../../functions/notify/mrkdwn.ts';

describe('mrkdwn', () => {
  it('escapes exactly &, < and >', () => {
    expect(escapeMrkdwn('a & b < c > d *e* `f`')).toBe('a &amp; b &lt; c &gt; d *e* `f`');
  });
  it('cuts escaped text without breaking an entity', () => {
    expect(escapeAndCut('a<b<c', 6)).toBe('a&lt;…');
    expect(escapeAndCut('short', 10)).toBe('short');
  });

  it('makes a link whose label cannot break out of it', () => {
    expect(link('https://x.example/a|b<c>', 'x > y')).toBe(
      '<https://x.example/a%7Cb%3Cc%3E|x &gt; y>',
    );
  });

  it('reads back as plain text: links as label: url, entities decoded', () => {
    expect(mrkdwnToText('*Run* <https://x.example|Execution> a &lt; b &amp; c')).toBe(
      'Run Execution: https://x.example a < b & c',
    );
  });
});
