import { strict as assert } from 'node:assert';
import { redact } from '../../../src/core/redact';

describe('redact', () => {
  it('replaces known secret values wherever they appear', () => {
    assert.equal(redact('key=abc123secret and again abc123secret', ['abc123secret']), 'key=[REDACTED] and again [REDACTED]');
  });

  it('masks key-shaped tokens even when they are not known', () => {
    const out = redact('Authorization: Bearer abcdefghijklmnop123 sk-proj-ABCDEFGHIJKLMNOPQRS OPENAI_API_KEY=whatever-value');
    assert.ok(!out.includes('abcdefghijklmnop123'));
    assert.ok(!out.includes('ABCDEFGHIJKLMNOPQRS'));
    assert.ok(!out.includes('whatever-value'));
    assert.match(out, /Bearer \[REDACTED\]/);
  });

  it('leaves ordinary text and short secrets alone', () => {
    assert.equal(redact('fixed add() in src/math.js', ['abc']), 'fixed add() in src/math.js');
  });
});
