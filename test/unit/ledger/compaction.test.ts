import assert from 'node:assert/strict';
import path from 'node:path';
import { foldFiles } from '../../../src/ledger/compaction';
import { FileStore } from '../../../src/ledger/file-store';
import { fileDbStore } from '../../../src/ledger/journaled-store';
import { openLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, readLedgerFile, spend, tempDir } from './helpers';

describe('ledger compaction in a worker thread', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    tmp = tempDir();
    file = path.join(tmp.dir, 'ledger.sqlite');
  });
  afterEach(() => tmp.cleanup());

  it('folds the journal into a new snapshot built by the worker, with every row, and needs no fallback', async () => {
    const notices: string[] = [];
    const l = await openLedger(file, { caps: caps(1e9), journalMaxLines: 4, notice: (m) => notices.push(m) });
    await l.createJob({ id: 'j', kind: 'llm', model: 'gpt-4o-mini', request: null });
    for (let i = 0; i < 5; i++)
      await l.settle((await l.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 500 })).id, spend(100 + i));
    await l.close();
    assert.deepEqual(notices, [], 'the worker answered every compaction');
    const store = await fileDbStore(file, { readOnly: true });
    const { generation, records } = store.state();
    await store.close();
    assert.ok(records < 4, `the journal was folded (${records} records left in generation ${generation})`);
    const db = await readLedgerFile(file);
    assert.deepEqual(db.exec('SELECT COUNT(*), SUM(cost_micros) FROM model_calls')[0]?.values, [[5, 510]]);
    assert.deepEqual(db.exec('SELECT COUNT(*) FROM reservations')[0]?.values, [[0]]);
    db.close();
  });

  it("refuses to fold files that are not the writer's replica (another snapshot, or fewer records), so the writer exports its own", async () => {
    const l = await openLedger(file, { caps: caps(1e9) });
    await l.createJob({ id: 'j', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await l.close();
    const store = await fileDbStore(file, { readOnly: true });
    const { generation, records, journalBytes } = store.state();
    await store.close();
    const stamp = (await new FileStore(file).read())?.stamp as string;
    const job = {
      snapshot: file,
      journal: `${file}.journal`,
      stamp,
      gen: generation,
      seq: records,
      offset: journalBytes,
      newGen: generation + 1,
    };
    assert.ok((await foldFiles(job)).length > 0, 'the files as they are fold');
    await assert.rejects(foldFiles({ ...job, stamp: '1:2:3' }), /is not the one the writer holds/);
    await assert.rejects(foldFiles({ ...job, seq: records + 1 }), /holds 1 records of generation/);
  });
});
