import { strict as assert } from 'node:assert';
import { redact, redactValue } from '../../../src/core/redact';

describe('redact', () => {
  it('replaces known secret values wherever they appear', () => {
    assert.equal(
      redact('key=abc123secret and again abc123secret', ['abc123secret']),
      'key=[REDACTED] and again [REDACTED]',
    );
  });

  it('masks key-shaped tokens even when they are not known', () => {
    const out = redact(
      'Authorization: Bearer abcdefghijklmnop123 sk-proj-ABCDEFGHIJKLMNOPQRS OPENAI_API_KEY=whatever-value',
    );
    assert.ok(!out.includes('abcdefghijklmnop123'));
    assert.ok(!out.includes('ABCDEFGHIJKLMNOPQRS'));
    assert.ok(!out.includes('whatever-value'));
    assert.match(out, /Bearer \[REDACTED\]/);
  });

  it('leaves ordinary text and short secrets alone', () => {
    assert.equal(redact('fixed add() in src/math.js', ['abc']), 'fixed add() in src/math.js');
  });
});

describe('redactValue', () => {
  it('keeps a result valid JSON when its text holds NAME_KEY=value (it used to eat the closing quote)', () => {
    const result = {
      output: 'done. OPENAI_API_KEY=x',
      nested: [{ note: 'MY_SERVICE_TOKEN="abc"' }],
      n: 3,
      ok: true,
      none: null,
    };
    const clean = redactValue(result, []);
    assert.deepEqual(JSON.parse(JSON.stringify(clean)), clean);
    assert.equal(clean.output, 'done. OPENAI_API_KEY=[REDACTED]');
    assert.equal(clean.nested[0]!.note, 'MY_SERVICE_TOKEN="[REDACTED]"');
    assert.equal(clean.n, 3);
    assert.equal(clean.ok, true);
    assert.equal(clean.none, null);
  });

  it('masks configured secrets in keys and values at any depth, and key shapes it does not know', () => {
    const out = JSON.stringify(
      redactValue(
        {
          a: { 'planted-secret-1': ['x planted-secret-1 y'] },
          b: 'ghp_ABCDEFGHIJKLMNOPQRSTUV',
          c: 'AKIAABCDEFGHIJKLMNOP',
        },
        ['planted-secret-1'],
      ),
    );
    assert.ok(!out.includes('planted-secret-1'));
    assert.ok(!out.includes('ghp_ABCDEFGHIJ'));
    assert.ok(!out.includes('AKIAABCDEFGH'));
  });

  it('leaves source code alone: names in code, spaced assignments, lower-case names', () => {
    const code =
      'const OPENAI_API_KEY = process.env.OPENAI_API_KEY;\nconfig.apiKey=load();\nheaders: { API_TOKEN: token }';
    assert.equal(redact(code), code);
  });

  it('masks a private key block', () => {
    const out = redact('x\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\ny');
    assert.equal(out, 'x\n[REDACTED]\ny');
  });
});
