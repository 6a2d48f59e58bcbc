import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_HTTP_TIMEOUTS,
  guardHandler,
  httpServerOptions,
  isJsonContentType,
  MAX_TARGET_CHARS,
  parseRequestTarget,
} from '../../../src/core/http-guard';

describe('http-guard: reading a request target', () => {
  const accepted: Array<[string, string, string]> = [
    ['/mcp', '/mcp', ''],
    ['/v1/messages?beta=true', '/v1/messages', '?beta=true'],
    ['/', '/', ''],
    ['/a/../mcp', '/mcp', ''],
    ['/%zz', '/%zz', ''],
  ];
  for (const [target, pathname, search] of accepted) {
    it(`reads ${target} as ${pathname}${search}`, () => {
      assert.deepEqual(parseRequestTarget(target), { ok: true, pathname, search });
    });
  }

  const refused: Array<[string | undefined, RegExp]> = [
    ['//a:99999/mcp', /single "\/"/],
    ['//evil.example/mcp', /single "\/"/],
    ['http://[', /single "\/"/],
    ['http://127.0.0.1:1/mcp', /single "\/"/],
    ['*', /single "\/"/],
    ['mcp', /single "\/"/],
    ['', /empty/],
    [undefined, /empty/],
    [`/${'a'.repeat(MAX_TARGET_CHARS)}`, /over 8192 characters/],
  ];
  for (const [target, message] of refused) {
    it(`refuses ${JSON.stringify(target)?.slice(0, 40)} with a message for the 400`, () => {
      const r = parseRequestTarget(target);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.message, message);
    });
  }

  it('never throws, and whatever it accepts is a path of one leading "/" (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.string().map((s) => `/${s}`),
          fc.webUrl(),
        ),
        (target) => {
          const r = parseRequestTarget(target);
          if (r.ok) assert.ok(r.pathname.startsWith('/') && !target.startsWith('//'), target);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('http-guard: content type, limits and guarded handlers', () => {
  const types: Array<[string | undefined, boolean]> = [
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON', true],
    ['application/jsonp', false],
    ['text/plain', false],
    ['', false],
    [undefined, false],
    ['application/x-www-form-urlencoded', false],
  ];
  for (const [type, json] of types)
    it(`${JSON.stringify(type)} is ${json ? '' : 'not '}JSON`, () => assert.equal(isJsonContentType(type), json));

  it('sets every node:http limit explicitly, keeping headers ≤ request and the check interval ≤ headers', () => {
    assert.deepEqual(httpServerOptions(), DEFAULT_HTTP_TIMEOUTS);
    assert.deepEqual(httpServerOptions({ requestTimeout: 300, connectionsCheckingInterval: 5_000 }), {
      headersTimeout: 300,
      requestTimeout: 300,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 300,
    });
  });

  it('hands a synchronous throw and a rejection to onError, and never lets either escape', async () => {
    const seen: string[] = [];
    const onError = (err: unknown, tag: string) => {
      seen.push(`${tag}:${(err as Error).message}`);
    };
    await guardHandler((_tag: string) => {
      throw new Error('sync');
    }, onError)('a');
    await guardHandler(async (_tag: string) => {
      throw new Error('async');
    }, onError)('b');
    await guardHandler(
      (_tag: string) => {
        throw new Error('first');
      },
      () => {
        throw new Error('onError broke too');
      },
    )('c');
    assert.deepEqual(seen, ['a:sync', 'b:async']);
  });
});
