import { existsSync, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FileStore } from './file-store';
import { parseChunk } from './journal';
import { replay } from './recorder';
import { loadSqlJs, openDatabase } from './sqljs';

/**
 * What a compaction folds: the snapshot at `snapshot` whose FileStore stamp is `stamp`, plus the
 * first `seq` records of `journal` (its bytes up to `offset`, generation `gen`), into a snapshot of
 * generation `newGen`. That is exactly the writer's replica (journaled-store.ts: snapshot + the
 * journal's records is the replica, by construction), so the worker rebuilds it from the files.
 */
export interface FoldJob {
  snapshot: string;
  journal: string;
  stamp: string;
  gen: number;
  seq: number;
  offset: number;
  newGen: number;
}

/**
 * Rebuilds the replica from the files of `job` in a sql.js of this thread and returns the new
 * snapshot's bytes (journal_state set to generation `newGen`, folding in `gen` up to record `seq`).
 * Throws Error when the files are not what the job says (the snapshot's stamp, the journal's
 * generation or record count) or a record does not replay.
 */
export async function foldFiles(job: FoldJob): Promise<Uint8Array> {
  const SQL = await loadSqlJs();
  const snap = await new FileStore(job.snapshot).read();
  if (!snap || snap.stamp !== job.stamp)
    throw new Error(`the snapshot ${job.snapshot} is not the one the writer holds`);
  const journal = (await fs.readFile(job.journal)).subarray(0, job.offset);
  const chunk = parseChunk(job.journal, journal, 0);
  if (chunk.header !== job.gen || chunk.entries.length !== job.seq) {
    throw new Error(
      `the journal ${job.journal} holds ${chunk.entries.length} records of generation ${chunk.header}, the writer ${job.seq} of ${job.gen}`,
    );
  }
  const db = openDatabase(SQL, snap.bytes);
  try {
    for (const [i, { entry }] of chunk.entries.entries()) {
      if (entry.g !== job.gen || entry.n !== i + 1)
        throw new Error(`journal record ${entry.g}/${entry.n} out of sequence`);
      replay(db, entry.s);
    }
    // carried by the snapshot, never journaled (as journaled-store.ts writeSnapshot does)
    db.run('UPDATE journal_state SET generation = ?, prev_generation = ?, folded_seq = ? WHERE id = 1', [
      job.newGen,
      job.gen,
      job.seq,
    ]);
    return db.export();
  } finally {
    db.close();
  }
}

/**
 * A worker running the compaction entry: dist/ledger-compaction.js beside the bundle
 * (esbuild.mjs), else the source through tsx's require hook (tests, benches; `--import tsx` in
 * a worker's execArgv does not load .ts files on Node 20).
 */
function startWorker(job: FoldJob): Worker {
  const bundled = path.join(__dirname, 'ledger-compaction.js');
  if (existsSync(bundled)) return new Worker(bundled, { workerData: job, execArgv: [], env: {} });
  const tsx = createRequire(__filename).resolve('tsx/cjs');
  const source = path.join(__dirname, 'compaction-worker.ts');
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(source)});`, {
    eval: true,
    workerData: job,
    execArgv: [],
    env: {},
  });
}

/**
 * foldFiles in a worker thread, so that the export of a large snapshot (~130 ms for 100k jobs of
 * history, synchronous inside sql.js) does not block this thread's event loop, which the extension
 * host shares with every extension. The bytes come back transferred, not copied. One worker per
 * compaction (compactions are thousands of writes apart). Rejects with the worker's error.
 */
export async function foldInWorker(job: FoldJob): Promise<Uint8Array> {
  const worker = startWorker(job);
  try {
    return await new Promise<Uint8Array>((resolve, reject) => {
      worker.once('message', (m: { ok: true; bytes: ArrayBuffer } | { ok: false; error: string }) =>
        m.ok ? resolve(new Uint8Array(m.bytes)) : reject(new Error(m.error)),
      );
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new Error(`the compaction worker exited with code ${code} before answering`)),
      );
    });
  } finally {
    await worker.terminate();
  }
}
