/**
 * The `pg` driver's Client, Pool and type parsers, loaded part by part. `pg`'s own index requires
 * pg-pool in a way that fails under Node's `--conditions=import` (the tests and the worker's child
 * processes run with it, since execa is ESM-only): the condition picks pg-pool's ESM wrapper, whose
 * namespace object is not the Pool class. So the Client comes from `pg/lib/client`, and the Pool
 * from pg-pool, taking its default export when the wrapper was loaded. The types are `pg`'s.
 */
import type pg from 'pg';

type PoolClass = new (config: pg.PoolConfig & { Client: typeof pg.Client }) => pg.Pool;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const poolModule = require('pg-pool') as PoolClass | { default: PoolClass };
const PoolCtor = 'default' in poolModule ? poolModule.default : poolModule;

/** The driver's connection class. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const Client = require('pg/lib/client') as typeof pg.Client;

/** The driver's type parser overrides (per pool, so no global parser changes). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const TypeOverrides = require('pg/lib/type-overrides') as typeof pg.TypeOverrides;

/** A pool of `Client` connections. */
export function newPool(config: pg.PoolConfig): pg.Pool {
  return new PoolCtor({ ...config, Client });
}
