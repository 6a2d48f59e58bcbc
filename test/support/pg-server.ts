/**
 * The PostgreSQL server of the team ledger's tests (mocha root hook plugin, loaded by .mocharc.json
 * `require`). With OFFLOAD_TEST_PG_HOST set (a socket folder; `.ci/run` starts the server with
 * scripts/pg/start.sh and sets it), tests use that server. Without it, the first test that asks for
 * a database starts a throwaway server with the same script, in a folder of its own under /tmp
 * (the server runs as `postgres` when we are root, so it cannot live in the run's private TMPDIR),
 * and the last hook of the run stops it and removes the folder. Each test gets databases of its own
 * (createDatabase, random names) and drops them (dropDatabase).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { Client } from '../../src/ledger/postgres/driver';

const run = promisify(execFile);
const SCRIPTS = path.join(__dirname, '..', '..', 'scripts', 'pg');

let started: Promise<string> | null = null;
let ownDir: string | null = null;

/** The socket folder of the test server, starting one when the run has none yet. */
export function pgHost(): Promise<string> {
  const given = process.env.OFFLOAD_TEST_PG_HOST;
  if (given) return Promise.resolve(given);
  started ??= (async () => {
    ownDir = mkdtempSync('/tmp/offload-pg-test-');
    const { stdout } = await run('bash', [path.join(SCRIPTS, 'start.sh'), ownDir], {
      env: { ...process.env, OFFLOAD_PG_OPTIONS: '-c fsync=off -c synchronous_commit=off' },
    });
    return stdout.trim();
  })();
  return started;
}

/** A postgres:// URL for `database` on the test server (unix socket, user postgres, trust auth). */
export function pgUrl(host: string, database: string): string {
  return `postgresql://postgres@/${database}?host=${encodeURIComponent(host)}`;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: pgUrl(await pgHost(), 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database with a random name; returns its URL. Drop it with dropDatabase. */
export async function createDatabase(): Promise<string> {
  const name = `offload_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return pgUrl(await pgHost(), name);
}

/** Drops the database of `url` (created by createDatabase), closing its remaining connections. */
export async function dropDatabase(url: string): Promise<void> {
  const name = /@\/([^?]+)/.exec(url)?.[1] ?? '';
  if (!/^offload_test_[0-9a-f]+$/.test(name)) throw new Error(`not a test database: ${name}`);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    if (!started || !ownDir) return;
    const dir = ownDir;
    started = null;
    ownDir = null;
    await run('bash', [path.join(SCRIPTS, 'stop.sh'), dir]);
  },
};
