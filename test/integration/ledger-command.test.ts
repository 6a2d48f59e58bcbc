import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { all } from '../../src/ledger/rows';
import { openLedger } from '../../src/ledger/sqlite-ledger';
import { readLedgerFile, spend, tempDir } from '../unit/ledger/helpers';
import { WORKER } from '../support/worker-client';

const exec = promisify(execFile);

/** Runs the built worker CLI; resolves with code, stdout and stderr whatever the exit code. */
async function cli(args: string[], ledger: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    OFFLOAD_LEDGER: ledger,
    SANDBOX_ROOT: path.dirname(ledger),
    OPENAI_API_KEY: 'unused-key-123456',
  };
  try {
    const r = await exec(process.execPath, [WORKER, ...args], { env, timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A ledger with one job and `calls` settled calls of 1000 + i µUSD; returns their reservation ids. */
async function ledgerWithSpend(file: string, calls: number): Promise<string[]> {
  const l = await openLedger(file, { caps: { monthlyMicros: 1e12, dailyMicros: null } });
  await l.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
  const ids: string[] = [];
  for (let i = 0; i < calls; i++) {
    const r = await l.reserve({ jobId: 'j', model: 'm', micros: 5000 });
    await l.settle(r.id, spend(1000 + i, 'm'));
    ids.push(r.id);
  }
  await l.close();
  return ids;
}

async function spendRows(file: string): Promise<string[]> {
  const db = await readLedgerFile(file);
  try {
    return all(db, 'SELECT reservation_id FROM model_calls ORDER BY id').map((r) => String(r.reservation_id));
  } finally {
    db.close();
  }
}

describe('offload-worker ledger check|repair (built dist/worker.js)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    tmp = tempDir();
    file = path.join(tmp.dir, 'ledger.sqlite');
  });
  afterEach(() => tmp.cleanup());

  it('check: exit 0 on a sound ledger, and a torn tail is a note, not damage', async () => {
    await ledgerWithSpend(file, 3);
    const ok = await cli(['ledger', 'check'], file);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(
      ok.stdout,
      /^ok: .*ledger\.sqlite: generation \d+, 7 journal records on top of the snapshot, 3 spend rows totalling 0\.003003 USD$/m,
    );
    const tail = '{"g":1,"n":8,"s":[["INSE';
    appendFileSync(`${file}.journal`, tail);
    const torn = await cli(['ledger', 'check'], file);
    assert.equal(torn.code, 0, torn.stdout);
    assert.match(
      torn.stdout,
      new RegExp(`note: .*ledger\\.sqlite\\.journal ends in a torn record of ${tail.length} bytes`),
    );
  });

  it('a 0-byte snapshot: the app refuses to start, check exits 1 naming it, repair rebuilds every spend row from the journal and keeps the damaged file', async () => {
    const ids = await ledgerWithSpend(file, 3);
    truncateSync(file, 0);
    const start = await cli(['spend'], file);
    assert.equal(start.code, 1, start.stdout);
    assert.ok(
      start.stderr.includes(`ledger file ${file} is empty (0 bytes)`) && /ledger repair/.test(start.stderr),
      start.stderr,
    );
    const check = await cli(['ledger', 'check'], file);
    assert.equal(check.code, 1, check.stdout);
    assert.ok(check.stdout.includes(`damaged: ledger file ${file} is empty`), check.stdout);

    const repair = await cli(['ledger', 'repair'], file);
    assert.equal(repair.code, 0, repair.stdout + repair.stderr);
    assert.match(repair.stdout, /kept a copy: .*ledger\.sqlite → .*ledger\.sqlite\.damaged-/);
    assert.match(repair.stdout, /cannot recover: the snapshot .* is empty/);
    assert.match(repair.stdout, /kept: 7 journal records, replayed onto an empty ledger/);
    assert.match(repair.stdout, /wrote: a new snapshot .*3 spend rows totalling 0\.003003 USD/);
    assert.match(repair.stdout, /^ok: /m);
    const copies = readdirSync(tmp.dir).filter((n) => n.startsWith('ledger.sqlite.damaged-'));
    assert.equal(copies.length, 1, 'the damaged snapshot is kept beside the repaired one');
    assert.equal(statSync(path.join(tmp.dir, copies[0]!)).size, 0);
    assert.ok(
      readdirSync(tmp.dir).some((n) => n.startsWith('ledger.sqlite.journal.damaged-')),
      'and the journal as it was',
    );
    assert.deepEqual(await spendRows(file), ids, 'no committed spend row was lost');
    const after = await cli(['spend'], file);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(JSON.parse(after.stdout).current_month, 0.003003);
  });

  it('a journal cut in half: check exits 1; repair keeps the complete records, says how many it cannot recover, and the ledger works again', async () => {
    await ledgerWithSpend(file, 3);
    const journal = `${file}.journal`;
    const before = readFileSync(journal);
    truncateSync(journal, Math.floor(before.length / 2));
    const check = await cli(['ledger', 'check'], file);
    assert.equal(check.code, 1);
    assert.ok(
      check.stdout.includes(`damaged: ledger file ${journal} is truncated: its header records 7 records`),
      check.stdout,
    );
    const repair = await cli(['ledger', 'repair'], file);
    assert.equal(repair.code, 0, repair.stdout + repair.stderr);
    const kept = Number(/kept: (\d+) journal records/.exec(repair.stdout)?.[1]);
    assert.ok(kept >= 1 && kept < 7, repair.stdout);
    assert.ok(
      repair.stdout.includes(
        `cannot recover: ${7 - kept} journal records the header counted (up to 7) that are not in the file`,
      ),
      repair.stdout,
    );
    assert.ok(
      existsSync(
        path.join(
          tmp.dir,
          readdirSync(tmp.dir).find((n) => n.startsWith('ledger.sqlite.journal.damaged-'))!,
        ),
      ),
    );
    assert.equal((await cli(['ledger', 'check'], file)).code, 0);
  });

  it('usage: an unknown subcommand exits 2', async () => {
    const r = await cli(['ledger', 'frobnicate'], file);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: offload-worker ledger check\|repair/);
  });
});
