/**
 * The two admission strategies the team ledger could use (ARCHITECTURE.md, "Team ledger"), raced on
 * one database: (a) the ledger's own reserve (conditional UPDATEs on the scope counter rows, READ
 * COMMITTED, src/ledger/postgres/admission.ts) and (b) one SERIALIZABLE transaction that sums the
 * month's spend and holds, checks the cap and inserts the reservation, run again on a
 * serialization failure. `n` reservations of `micros` race from `pools` pools against `capMicros`.
 */
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { BudgetExceededError } from '../../src/core/budget';
import { monthPeriod } from '../../src/core/period';
import { openPostgresLedger } from '../../src/ledger/postgres/open';
import { newPool } from '../../src/ledger/postgres/driver';

/** What one race gave: admitted and refused counts, wall time (ms), per-call p50/p99 (ms), serialization retries. */
export interface RaceResult {
  admitted: number;
  refused: number;
  wallMs: number;
  p50: number;
  p99: number;
  retries: number;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

/** The race's shape: reservations, their size (µUSD), the cap (µUSD), pools (processes) and connections each. */
export interface Race {
  n: number;
  micros: number;
  capMicros: number;
  pools: number;
  perPool: number;
}

/** (a): `race.n` ledger.reserve calls spread over `race.pools` open ledgers on `url` (a fresh database). */
export async function raceConditional(url: string, race: Race): Promise<RaceResult> {
  const opts = {
    caps: { monthlyMicros: race.capMicros, dailyMicros: null },
    poolSize: race.perPool,
    breaker: NO_VELOCITY,
  };
  const ledgers = await Promise.all(Array.from({ length: race.pools }, () => openPostgresLedger(url, opts)));
  await ledgers[0]!.createJob({ id: 'race', kind: 'llm', model: 'm', request: null });
  const times: number[] = [];
  let refused = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: race.n }, async (_, i) => {
      const s = performance.now();
      try {
        await ledgers[i % race.pools]!.reserve({ jobId: 'race', model: 'm', micros: race.micros });
      } catch (err) {
        if (!(err instanceof BudgetExceededError)) throw err;
        refused++;
      }
      times.push(performance.now() - s);
    }),
  );
  const wallMs = performance.now() - t0;
  await Promise.all(ledgers.map((l) => l.close()));
  return { admitted: race.n - refused, refused, wallMs, p50: pct(times, 50), p99: pct(times, 99), retries: 0 };
}

const NO_VELOCITY = { velocityPct: 0, velocityWindowMs: 3_600_000, failureThreshold: 5, cooldownMs: 60_000 };

/** (b): the same race with one SERIALIZABLE read-check-insert transaction per reservation, retried on 40001/40P01. */
export async function raceSerializable(url: string, race: Race): Promise<RaceResult> {
  const setup = await openPostgresLedger(url, { caps: { monthlyMicros: race.capMicros, dailyMicros: null } });
  await setup.createJob({ id: 'race', kind: 'llm', model: 'm', request: null });
  await setup.close();
  const pools = Array.from({ length: race.pools }, () => newPool({ connectionString: url, max: race.perPool }));
  const month = monthPeriod(Date.now());
  const times: number[] = [];
  let refused = 0;
  let retries = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: race.n }, async (_, i) => {
      const s = performance.now();
      const c = await pools[i % race.pools]!.connect();
      try {
        for (;;) {
          try {
            await c.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
            const { rows } = await c.query<{ used: string }>(
              `SELECT ((SELECT COALESCE(SUM(cost_micros), 0) FROM model_calls WHERE created_at >= $1 AND created_at < $2)
                + (SELECT COALESCE(SUM(micros), 0) FROM reservations))::text AS used`,
              [month.startMs, month.endMs],
            );
            if (Number(rows[0]!.used) + race.micros > race.capMicros) {
              await c.query('ROLLBACK');
              refused++;
              break;
            }
            await c.query(
              `INSERT INTO reservations (id, job_id, model, micros, pid, created_at, member, machine, owner, expires_at, scope_keys)
              VALUES ($1, 'race', 'm', $2, 0, $3, 'x', 'x', 'x', now() + interval '1 minute', '{}')`,
              [randomUUID(), race.micros, Date.now()],
            );
            await c.query('COMMIT');
            break;
          } catch (err) {
            await c.query('ROLLBACK').catch(() => {});
            const code = (err as { code?: string }).code;
            if (code !== '40001' && code !== '40P01') throw err;
            retries++;
          }
        }
      } finally {
        c.release();
      }
      times.push(performance.now() - s);
    }),
  );
  const wallMs = performance.now() - t0;
  await Promise.all(pools.map((p) => p.end()));
  return { admitted: race.n - refused, refused, wallMs, p50: pct(times, 50), p99: pct(times, 99), retries };
}
