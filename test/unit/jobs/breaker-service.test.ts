import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BreakerService } from '../../../src/jobs/breaker-service';
import { openMemoryLedger, type HostLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, fakeClock, spend } from '../ledger/helpers';

/**
 * A stand-in for OpenAI's GET /v1/organization/costs (NOT the real provider): a node:http server on
 * 127.0.0.1 that answers each request from `reply` and records the query and Authorization header.
 */
async function costsStandIn(
  reply: () => { status: number; body: string },
): Promise<{ url: string; seen: URL[]; auth: string[]; close(): Promise<void> }> {
  const seen: URL[] = [];
  const auth: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(new URL(req.url ?? '/', 'http://127.0.0.1'));
    auth.push(String(req.headers.authorization));
    const r = reply();
    res.writeHead(r.status, { 'content-type': 'application/json', 'x-stand-in': 'openai costs endpoint stand-in' });
    res.end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/organization/costs`,
    seen,
    auth,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const page = (...days: number[][]) =>
  JSON.stringify({
    object: 'page',
    has_more: false,
    next_page: null,
    data: days.map((values) => ({
      object: 'bucket',
      start_time: 0,
      end_time: 0,
      results: values.map((value) => ({ object: 'organization.costs.result', amount: { value, currency: 'usd' } })),
    })),
  });

describe('BreakerService', () => {
  let clock: ReturnType<typeof fakeClock>;
  let ledger: HostLedger;
  const service = (url: string, rule: 'any' | 'drift', log: string[] = []) =>
    new BreakerService({
      ledger,
      failureThreshold: 3,
      cooldownMs: 60_000,
      clock: clock.now,
      log: (l) => log.push(l),
      costs: { url, adminKey: 'sk-admin-test', rule, driftUsd: 1 },
    });

  beforeEach(async () => {
    clock = fakeClock('2025-06-15T12:00:00.000Z');
    ledger = await openMemoryLedger({ caps: caps(25_000_000), clock: clock.now });
    await ledger.createJob({ id: 'j1', kind: 'llm', model: 'gpt-4o-mini', request: null });
  });
  afterEach(() => ledger.close());

  describe('provider cost poll (against a local stand-in for the OpenAI costs endpoint)', () => {
    it('trips on any cost today or yesterday with the original rule, sending the admin key and the UTC window', async () => {
      const api = await costsStandIn(() => ({ status: 200, body: page([0.25], [0.5]) }));
      try {
        const poll = await service(api.url, 'any').pollCosts();
        assert.deepEqual([poll.ok, poll.ok && poll.provider_usd, poll.ok && poll.tripped], [true, 0.75, true]);
        assert.equal((await ledger.breakerStatus()).reason, 'provider_cost');
        assert.equal(api.auth[0], 'Bearer sk-admin-test');
        assert.deepEqual(
          [api.seen[0]?.searchParams.get('start_time'), api.seen[0]?.searchParams.get('bucket_width')],
          [String(Date.parse('2025-06-14T00:00:00Z') / 1000), '1d'],
        );
      } finally {
        await api.close();
      }
    });

    it('does not trip on zero cost, and clears an earlier provider-cost trip', async () => {
      await ledger.tripBreaker({ reason: 'provider_cost', detail: 'earlier poll' });
      const api = await costsStandIn(() => ({ status: 200, body: page([], [0]) }));
      try {
        const poll = await service(api.url, 'any').pollCosts();
        assert.equal(poll.ok && poll.tripped, false);
        assert.equal((await ledger.breakerStatus()).state, 'closed');
      } finally {
        await api.close();
      }
    });

    it('with the drift rule, trips only when partial provider costs exceed the ledger by more than the drift', async () => {
      const r = await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 600_000 });
      await ledger.settle(r.id, spend(500_000));
      let body = page([1.4], []); // yesterday's bucket only; today not reported yet
      const api = await costsStandIn(() => ({ status: 200, body }));
      try {
        const s = service(api.url, 'drift');
        const first = await s.pollCosts();
        assert.deepEqual([first.ok && first.ledger_usd, first.ok && first.tripped], [0.5, false]);
        body = page([1.4], [0.2]);
        const second = await s.pollCosts();
        assert.equal(second.ok && second.tripped, true);
        assert.match((await ledger.breakerStatus()).detail ?? '', /\$1\.60.*ledger \$0\.50\b/);
      } finally {
        await api.close();
      }
    });

    const faults: Array<[string, { status: number; body: string }, RegExp]> = [
      ['an HTTP 500', { status: 500, body: '{"error":{"message":"internal"}}' }, /HTTP 500/],
      ['malformed JSON', { status: 200, body: '{"data": [' }, /malformed JSON/],
      ['an unexpected shape', { status: 200, body: '{"data": [{"results": "none"}]}' }, /no results array/],
      ['a 401 for a non-admin key', { status: 401, body: '{"error":"Missing scopes"}' }, /HTTP 401/],
    ];
    for (const [name, reply, message] of faults) {
      it(`leaves the state unchanged and surfaces the error on ${name}`, async () => {
        await ledger.tripBreaker({ reason: 'provider_cost', detail: 'earlier poll' });
        const api = await costsStandIn(() => reply);
        const log: string[] = [];
        try {
          const s = service(api.url, 'any', log);
          const poll = await s.pollCosts();
          assert.equal(poll.ok, false);
          assert.match(!poll.ok ? poll.error : '', message);
          assert.deepEqual(
            [(await ledger.breakerStatus()).state, (await ledger.breakerStatus()).detail],
            ['open', 'earlier poll'],
          );
          assert.deepEqual((await s.status()).last_cost_poll, poll, 'breaker_status shows the failed poll');
          assert.match(log.join('\n'), /state unchanged/);
        } finally {
          await api.close();
        }
      });
    }

    it('leaves a closed breaker closed and surfaces the error when the connection is refused', async () => {
      const api = await costsStandIn(() => ({ status: 200, body: page() }));
      const url = api.url;
      await api.close(); // nothing listens on that port any more
      const poll = await service(url, 'any').pollCosts();
      assert.equal(poll.ok, false);
      assert.match(!poll.ok ? poll.error : '', /unreachable \(ECONNREFUSED\)/);
      assert.equal((await ledger.breakerStatus()).state, 'closed');
    });
  });

  describe('upstream failures (fake clock)', () => {
    const failing = (status: number) => ({
      complete: async (_p?: unknown) => {
        throw Object.assign(new Error(`HTTP ${status}`), { status });
      },
      stream: async (_p?: unknown) => {
        throw Object.assign(new Error(`HTTP ${status}`), { status });
      },
    });

    it("opens after 3 failures in a row, goes half-open after the cooldown, and the trial's success closes it", async () => {
      const s = service('http://127.0.0.1:9/unused', 'any');
      const bad = s.guard(failing(503));
      for (let i = 0; i < 2; i++) await assert.rejects(bad.complete(undefined as never));
      assert.equal((await ledger.breakerStatus()).state, 'closed');
      await assert.rejects(bad.stream(undefined as never));
      const open = await ledger.breakerStatus();
      assert.deepEqual([open.state, open.reason], ['open', 'upstream_failures']);
      assert.match(open.detail ?? '', /3 upstream calls failed in a row, last: HTTP 503/);
      clock.advance(60_000);
      await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 1 }); // the trial
      await s
        .guard({ complete: async (_p?: unknown) => 'ok', stream: async (_p?: unknown) => 'ok' })
        .complete(undefined as never);
      assert.equal((await ledger.breakerStatus()).state, 'closed');
    });

    it('passes every argument of a call through: the per-attempt hooks and the body encoder', async () => {
      const s = service('http://127.0.0.1:9/unused', 'any');
      const seen: unknown[][] = [];
      const recording = {
        complete: async (...args: unknown[]) => void seen.push(args),
        stream: async (...args: unknown[]) => void seen.push(args),
      };
      const signal = new AbortController().signal;
      const hooks = { onFailedAttempt: () => {} };
      const encodeBody = (model: string) => model;
      const guarded = s.guard(
        recording as {
          complete(p: never, s?: AbortSignal, ...rest: never[]): Promise<void>;
          stream(p: never, s?: AbortSignal, ...rest: never[]): Promise<void>;
        },
      );
      await guarded.complete('p1' as never, signal, hooks as never, encodeBody as never);
      await guarded.stream('p2' as never, signal, hooks as never, encodeBody as never);
      assert.deepEqual(seen, [
        ['p1', signal, hooks, encodeBody],
        ['p2', signal, hooks, encodeBody],
      ]);
    });

    it('re-opens at once when the half-open trial fails, and ignores client errors (400)', async () => {
      const s = service('http://127.0.0.1:9/unused', 'any');
      await ledger.tripBreaker({ reason: 'upstream_failures', detail: 'x', until: clock.now() });
      await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 1 });
      await assert.rejects(s.guard(failing(400)).complete(undefined as never));
      assert.equal((await ledger.breakerStatus()).state, 'half-open');
      await assert.rejects(s.guard(failing(502)).complete(undefined as never));
      const b = await ledger.breakerStatus();
      assert.deepEqual([b.state, b.until], ['open', clock.now() + 60_000]);
      assert.match(b.detail ?? '', /half-open trial call failed/);
    });
  });
});
