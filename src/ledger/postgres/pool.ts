/**
 * The team ledger's connections (npm `pg`): a Pool per open ledger, and the one transaction helper.
 * The URL is a postgres:// or postgresql:// connection string; its host may be a unix socket
 * folder (`postgresql://user@/db?host=/run/postgresql`). BIGINT (int8) columns arrive as JS numbers
 * through a type parser that refuses any value beyond Number.MAX_SAFE_INTEGER, so money (µUSD) and
 * epoch ms are never rounded silently; sums are cast back to int8 in SQL (SUM of int8 is numeric).
 */
import type pg from 'pg';
import { newPool, TypeOverrides } from './driver';

const INT8_OID = 20;

/** int8 text to a number; throws RangeError past 2^53 − 1 (µUSD amounts and epoch ms stay far below). */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} is beyond JavaScript's safe integers`);
  return n;
}

const types = new TypeOverrides();
types.setTypeParser(INT8_OID, parseInt8);

/** What opening the pool takes: the URL, the password (else the URL's, or PGPASSWORD), the pool size. */
export interface PoolOptions {
  url: string;
  password?: string;
  /** Connections in the pool. Default 10. */
  max?: number;
}

/** Throws Error unless `url` is a postgres:// or postgresql:// URL (the message names the two forms). */
export function assertPostgresUrl(url: string): void {
  if (!/^postgres(ql)?:\/\//i.test(url))
    throw new Error(`not a PostgreSQL URL: expected postgres://… or postgresql://…, got ${url.split('@').pop()}`);
}

/** The connection settings of `o` for a pool or a single client (the LISTEN connection). */
export function clientConfig(o: PoolOptions): pg.ClientConfig {
  assertPostgresUrl(o.url);
  return {
    connectionString: o.url,
    ...(o.password !== undefined ? { password: o.password } : {}),
    types,
    application_name: 'offload',
  };
}

/** A pool of connections to the team ledger's database. */
export function openPool(o: PoolOptions): pg.Pool {
  const pool = newPool({ ...clientConfig(o), max: o.max ?? 10 });
  // An idle connection the server closed (restart, admin kill) errors here; the pool replaces it.
  pool.on('error', () => {});
  return pool;
}

/** A client inside a transaction. */
export type Tx = pg.PoolClient;

/** SQLSTATEs after which the whole transaction may simply run again: serialization_failure, deadlock_detected. */
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Runs `fn` in one transaction (READ COMMITTED unless `isolation` says otherwise) on a pooled
 * connection: COMMIT when it returns, ROLLBACK when it throws (the error is rethrown). A
 * serialization failure or a deadlock the server broke runs `fn` again from the start, up to
 * `retries` times (default 20), so `fn` must do nothing outside the transaction.
 */
export async function inTx<T>(
  pool: pg.Pool,
  fn: (c: Tx) => Promise<T>,
  isolation: 'READ COMMITTED' | 'SERIALIZABLE' = 'READ COMMITTED',
  retries = 20,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const c = await pool.connect();
    let broken: Error | undefined;
    try {
      await c.query(isolation === 'READ COMMITTED' ? 'BEGIN' : `BEGIN ISOLATION LEVEL ${isolation}`);
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch((e: Error) => (broken = e));
      if (attempt < retries && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
      throw err;
    } finally {
      c.release(broken);
    }
  }
}
