import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import fc from 'fast-check';
import { encodePassthrough, materialize, parsePassthrough, passthroughByteLength, upstreamBodies, type PassthroughJson } from '../../../src/adapter/passthrough-json';

/** The bytes encodePassthrough produces for `value`, parsed back. */
function sent(value: unknown, p: PassthroughJson): unknown {
  return JSON.parse(Buffer.concat(encodePassthrough(JSON.stringify(value), p)).toString('utf8'));
}

function parse(text: string | Buffer, minBytes = 8): PassthroughJson {
  const p = parsePassthrough(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'), minBytes);
  ok(p, 'the fast path applies');
  return p;
}

const TRICKY = 'line 1\n\t"quoted" \\ back\\slash / ünïcode ✓ emoji 😀 \u0001 nul\u0000 end \u2028';

describe('passthrough-json', () => {
  it('keeps long string values as placeholders and gives the same value back on the wire', () => {
    const original = { model: 'm', system: TRICKY.repeat(3), messages: [{ role: 'user', content: [{ type: 'text', text: TRICKY }] }], n: 1.5, t: true, z: null };
    const p = parse(JSON.stringify(original));
    strictEqual(p.slices.length, 2);
    ok(typeof (p.value as { system: string }).system === 'string' && (p.value as { system: string }).system.length < 40, 'the system prompt is a short placeholder');
    strictEqual((p.value as { model: string }).model, 'm', 'short strings are parsed as usual');
    deepStrictEqual(sent(p.value, p), original);
    deepStrictEqual(materialize(p.value, p), original);
  });

  it('splices the exact client bytes, escapes and all, without re-encoding them', () => {
    const body = '{"a":"\\u00fc\\ud83d\\ude00 \\/ \\" tail padding"}';
    const p = parse(body, 4);
    strictEqual(Buffer.concat(encodePassthrough(JSON.stringify(p.value), p)).toString('utf8'), body);
  });

  it('never turns an object key into a placeholder', () => {
    const key = 'k'.repeat(40);
    const p = parse(JSON.stringify({ [key]: 'v'.repeat(40), nested: { [key]: 1 } }));
    deepStrictEqual(Object.keys(p.value as object), [key, 'nested']);
    deepStrictEqual(Object.keys((p.value as { nested: object }).nested), [key]);
    strictEqual(p.slices.length, 1);
  });

  it('survives the moves translation makes: concatenation, joins, text before it ending in a backslash', () => {
    const a = `A ${TRICKY}`;
    const b = `B ${TRICKY}`;
    const p = parse(JSON.stringify({ a, b }));
    const v = p.value as { a: string; b: string };
    const moved = { joined: [v.a, v.b].join('\n\n'), prefixed: `Error: ${v.a}`, afterBackslash: `ends with \\${v.b}`, url: `data:image/png;base64,${v.a}` };
    deepStrictEqual(sent(moved, p), { joined: `${a}\n\n${b}`, prefixed: `Error: ${a}`, afterBackslash: `ends with \\${b}`, url: `data:image/png;base64,${a}` });
  });

  it('escapes the bytes once more for a placeholder inside a JSON text held in a string (tool arguments)', () => {
    const p = parse(JSON.stringify({ content: TRICKY }));
    const v = p.value as { content: string };
    const args = JSON.stringify({ file_path: 'x', content: v.content });
    const out = sent({ arguments: args }, p) as { arguments: string };
    deepStrictEqual(JSON.parse(out.arguments), { file_path: 'x', content: TRICKY });
  });

  it('leaves text that only looks like a placeholder alone: another request\'s nonce, in either form', () => {
    const p = parse(JSON.stringify({ a: TRICKY }));
    const other = p.nonce === '0000000000000000' ? '1111111111111111' : '0000000000000000';
    const forged = { x: `\u0000ofr${other}:0;`, y: `\\u0000ofr${other}:0;`, z: `\\\\u0000ofr${p.nonce}:0;` };
    deepStrictEqual(sent(forged, p), forged);
  });

  it('declines bodies it cannot pass through byte for byte, so the caller parses them as usual', () => {
    const cases: Array<[string, Buffer]> = [
      ['a raw control character in a long string', Buffer.from('{"a":"tab\there and more text"}')],
      ['an illegal escape', Buffer.from('{"a":"bad \\x escape and more text"}')],
      ['a short \\u escape', Buffer.from('{"a":"bad \\u12G4 escape and more"}')],
      ['a \\u escape cut by the closing quote', Buffer.from('{"a":"and more text at the end\\u12"}')],
      ['invalid UTF-8', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from(' and more text"}')])],
      ['an unterminated string', Buffer.from('{"a":"never closed and more text')],
      ['a skeleton that is not JSON', Buffer.from('{"a":"long enough string value" oops}')],
    ];
    for (const [what, body] of cases) strictEqual(parsePassthrough(body, 4), null, what);
  });

  it('accepts a long string exactly when JSON.parse does, wherever a control byte or backslash falls (property)', () => {
    // Raw string content from a small alphabet heavy in the bytes that matter, at any offset (the control-byte test reads aligned
    // 32-bit words, eight at a time), compared with JSON.parse on the same body.
    const unit = fc.constantFrom('a', 'é', '\\', '\\n', '\\u00e9', '\\u12', '\\x', '\t', '\u0001', '\u001f', ' ', '"');
    fc.assert(fc.property(fc.nat(7), fc.array(unit, { maxLength: 80 }), (pad, units) => {
      const content = units.join('').replace(/"/g, '\\"');
      const body = Buffer.from(`{"${'k'.repeat(pad)}":"${content}"}`, 'utf8');
      let valid = true;
      try {
        JSON.parse(body.toString('utf8'));
      } catch {
        valid = false;
      }
      const p = parsePassthrough(body, 0);
      strictEqual(p !== null, valid, JSON.stringify(body.toString('utf8')));
      if (p) deepStrictEqual(sent(p.value, p), JSON.parse(body.toString('utf8')));
    }), { numRuns: 2000 });
  });

  it('bounds the bytes of a string holding placeholders by the bytes sent, in both forms', () => {
    const p = parse(JSON.stringify({ a: TRICKY, b: 'é'.repeat(100) }));
    const v = p.value as { a: string; b: string };
    const text = `x ${v.a} y ${v.b}`;
    const real = Buffer.byteLength(`x ${TRICKY} y ${'é'.repeat(100)}`, 'utf8');
    const bound = passthroughByteLength(text, p);
    ok(bound >= real, `${bound} ≥ ${real}`);
    ok(passthroughByteLength(JSON.stringify({ t: text }), p) >= real, 'inside a JSON text too');
    strictEqual(passthroughByteLength('plain ✓', p), Buffer.byteLength('plain ✓'));
  });

  it('round-trips any JSON value, whatever the threshold (property)', () => {
    fc.assert(fc.property(fc.jsonValue({ depthSize: 'small' }), fc.integer({ min: 0, max: 12 }), (value, minBytes) => {
      const text = JSON.stringify(value);
      const p = parsePassthrough(Buffer.from(text, 'utf8'), minBytes);
      if (!p) return false;
      deepStrictEqual(sent(p.value, p), JSON.parse(text));
      deepStrictEqual(materialize(p.value, p), JSON.parse(text));
      return true;
    }), { numRuns: 500 });
  });

  it('round-trips full-Unicode strings, lone surrogates included (property)', () => {
    const text = fc.string({ unit: 'binary', minLength: 0, maxLength: 60 });
    fc.assert(fc.property(fc.array(text, { maxLength: 6 }), (strings) => {
      const body = JSON.stringify({ strings, joined: strings.join('|') });
      const p = parsePassthrough(Buffer.from(body, 'utf8'), 4);
      // A lone surrogate is written by JSON.stringify as a \u escape, so the body is still valid UTF-8 and must pass.
      if (!p) return false;
      deepStrictEqual(sent(p.value, p), JSON.parse(body));
      return true;
    }), { numRuns: 300 });
  });

  it('builds each upstream body as one buffer, lets the client bytes go after the first, and swaps the model for a fallback', () => {
    const text = JSON.stringify({ model: 'claude-x', system: TRICKY.repeat(2), messages: [{ role: 'user', content: 'ünï ✓ '.repeat(20) }] });
    // What each body must be, from a parse of its own (encodePassthrough before anything is let go).
    const expected = (model: string) => {
      const q = parse(text);
      return Buffer.concat(encodePassthrough(JSON.stringify({ ...(q.value as object), model }), q));
    };
    const p = parse(text);
    const params = { ...(p.value as object), model: 'gw-primary' }; // translateRequest puts model first
    const bodies = upstreamBodies(params, p);
    const primary = bodies.encode('gw-primary');
    ok(primary.equals(expected('gw-primary')));
    strictEqual(p.slices.length, 0, 'the client bytes are let go once the first body exists');
    strictEqual(bodies.encode('gw-primary'), primary, 'a retry on the same gateway reuses the buffer');
    const fallback = bodies.encode('fallback/model "q"');
    ok(fallback.equals(expected('fallback/model "q"')));
    deepStrictEqual(JSON.parse(fallback.toString('utf8')).model, 'fallback/model "q"');
  });

  it('keeps the client bytes and encodes afresh when model is not the first member', () => {
    const p = parse(JSON.stringify({ system: TRICKY, model: 'm' }));
    const bodies = upstreamBodies({ system: (p.value as { system: string }).system, model: 'a' }, p);
    const a = bodies.encode('a');
    strictEqual(p.slices.length, 1);
    deepStrictEqual(JSON.parse(a.toString('utf8')), { system: TRICKY, model: 'a' });
    deepStrictEqual(JSON.parse(bodies.encode('b').toString('utf8')), { system: TRICKY, model: 'b' });
  });
});
