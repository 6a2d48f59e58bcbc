import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, watch } from 'node:fs';
import path from 'node:path';
import { openLedger } from '../../src/ledger/sqlite-ledger';
import { caps, queryLedgerFile as query, tempDir } from '../unit/ledger/helpers';

const WRITER = path.join(__dirname, 'fixtures', 'ledger-writer.ts');

/** write-file-atomic's temp files beside the snapshot and the journal: `<file>.<number>`. */
const isTemp = (name: string) => /^ledger\.sqlite(\.journal)?\.\d+$/.test(name);

/** Starts the writer fixture in its own process. */
function writer(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The ledger file store with writer processes (fixtures/ledger-writer.ts), each a node of its own: crashes and contention. */
describe('ledger file store across processes', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    tmp = tempDir();
    file = path.join(tmp.dir, 'ledger.sqlite');
  });
  afterEach(() => tmp.cleanup());

  it('leaves a complete ledger with every committed row when a writer is killed mid-append or mid-compaction (SIGKILL)', async function () {
    this.timeout(60_000);
    // The writer compacts every 5 transactions. Kill moments: as a temp file appears (inside a
    // compaction's atomic snapshot or journal replacement), as the journal changes (an append), as
    // the lock is taken, and right after a commit was reported. The writer's lock is removed after
    // each kill so the next round need not wait for it to go stale (that takeover has its own test).
    const rounds: Array<(name: string, committed: number) => boolean> = [
      (name, n) => n >= 3 && isTemp(name),
      (name, n) => n >= 3 && isTemp(name),
      (name, n) => n >= 4 && name === 'ledger.sqlite.journal',
      (name, n) => n >= 5 && name === 'ledger.sqlite.journal',
      (name, n) => n >= 6 && name.endsWith('.lock'),
      (_name, n) => n >= 9,
    ];
    let midWrite = 0;
    for (const shouldKill of rounds) {
      const child = writer(['loop', file], { JOURNAL_MAX_LINES: '5' });
      let committed = 0;
      let stderr = '';
      const watcher = watch(tmp.dir, (_event, name) => {
        if (name && shouldKill(name, committed)) child.kill('SIGKILL');
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          const last = /committed (\d+)\n$/.exec(d.toString());
          if (last) committed = Number(last[1]);
          if (shouldKill('', committed)) child.kill('SIGKILL');
        });
        child.on('exit', (_code, signal) =>
          signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited early: ${stderr}`)),
        );
      });
      watcher.close();
      if (readdirSync(tmp.dir).some(isTemp)) midWrite++;
      rmSync(`${file}.lock`, { recursive: true, force: true });
      assert.deepEqual(await query(file, 'PRAGMA integrity_check'), [['ok']]);
      const [[rows]] = (await query(file, `SELECT COUNT(*) FROM model_calls WHERE job_id = 'w-${child.pid}'`)) as [
        [number],
      ];
      assert.ok(rows >= committed, `${rows} rows on disk, ${committed} reported committed`);
    }
    assert.ok(midWrite >= 1, 'at least one kill landed inside a compaction (its temp file was left behind)');
    const reopened = await openLedger(file, { caps: caps(1e12) });
    assert.equal((await reopened.listJobs()).length, rounds.length);
    await reopened.close();
  });

  it('admits no more than the cap across processes contending for it', async function () {
    this.timeout(60_000);
    const seed = await openLedger(file, { caps: caps(0) });
    await seed.close();
    const children = [1, 2, 3].map(() => writer(['contend', file, '25'], { CAP_MICROS: String(40 * 1000) }));
    const admitted = await Promise.all(
      children.map(
        (c) =>
          new Promise<number>((resolve, reject) => {
            let out = '';
            let err = '';
            c.stdout.on('data', (d) => {
              out += d;
            });
            c.stderr.on('data', (d) => {
              err += d;
            });
            c.on('exit', (code) =>
              code === 0 ? resolve(Number(/admitted (\d+)/.exec(out)?.[1])) : reject(new Error(err)),
            );
          }),
      ),
    );
    assert.equal(
      admitted.reduce((x, y) => x + y, 0),
      40,
    );
    assert.deepEqual(await query(file, 'SELECT COUNT(*), SUM(micros) FROM reservations'), [[40, 40_000]]);
  });
});
