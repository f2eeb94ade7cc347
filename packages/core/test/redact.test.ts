import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor, redactUrl } from '../src/sdk';

describe('redaction', () => {
  it('removes userinfo and sensitive query values from URLs, keeping the rest', () => {
    expect(redactUrl('https://user:pw@host.test/a?x=1&token=abc&Password=p&api_key=k')).toBe(
      `https://REDACTED:REDACTED@host.test/a?x=1&token=${REDACTED}&Password=${REDACTED}&api_key=${REDACTED}`,
    );
    expect(redactUrl('http://h.test/p?limit=10')).toBe('http://h.test/p?limit=10');
    expect(redactUrl('not a url')).toBe('not a url');
  });

  it('scrubs known secrets anywhere, including URL-encoded', () => {
    const redactor = new Redactor();
    redactor.addSecret('p@ss word/1');
    expect(redactor.text('a p@ss word/1 b p%40ss%20word%2F1 c')).toBe(`a ${REDACTED} b ${REDACTED} c`);
    expect(redactor.value({ a: ['p@ss word/1'], b: { password: 'other', n: 1 } })).toEqual({
      a: [REDACTED],
      b: { password: REDACTED, n: 1 },
    });
  });

  it('learns the credential inside Bearer and Basic header values', () => {
    const redactor = new Redactor();
    redactor.addCredentialHeader('Bearer tok-abc-123');
    redactor.addCredentialHeader(`Basic ${btoa('admin:hunter22')}`);
    expect(redactor.text('tok-abc-123 / hunter22')).toBe(`${REDACTED} / ${REDACTED}`);
  });

  it('never lets a secret through, whatever surrounds it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4 }), fc.string(), fc.string(), (secret, before, after) => {
        const redactor = new Redactor();
        redactor.addSecret(secret);
        expect(redactor.text(`${before}${secret}${after}`)).not.toContain(secret);
      }),
    );
  });
});
