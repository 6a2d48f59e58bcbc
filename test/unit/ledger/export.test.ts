import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import {
  parseExportLine,
  type ExportBreakerEvent,
  type ExportCall,
  type ExportJob,
  type ExportLine,
} from '../../../src/core/ledger-export';
import { memoryDbStore } from '../../../src/ledger/db-store';
import { exportLedger, exportStore } from '../../../src/ledger/export';
import { headerLine } from '../../../src/ledger/journal';
import { run } from '../../../src/ledger/rows';
import { SCHEMA } from '../../../src/ledger/schema';
import { loadSqlJs } from '../../../src/ledger/sqljs';
import { ledgerOnStore, openLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, spend, tempDir } from './helpers';

/** A Writable that keeps each chunk it is given and says it is full after every write (so the writer waits for drain). */
function sink(): Writable & { chunks: string[] } {
  const chunks: string[] = [];
  const w = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      setImmediate(done);
    },
  });
  return Object.assign(w, { chunks });
}

/** Parses every line of an export as an importer would: header first, then each row against its ledger id. */
function parseAll(text: string): ExportLine[] {
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'the export ends with a newline');
  const header = parseExportLine(lines[0]!, 1);
  assert.equal(header.type, 'header');
  const ledgerId = header.type === 'header' ? header.source.ledger_id : '';
  return [header, ...lines.slice(1).map((l, i) => parseExportLine(l, i + 2, ledgerId))];
}

const identity = { member: 'ana@box', machine: 'box' };
const N = 10_000;

describe('ledger export', () => {
  it(`streams a ledger of ${N} jobs page by page, and every line parses back to the rows stored`, async function () {
    this.timeout(30_000);
    const store = await memoryDbStore();
    const T0 = Date.UTC(2026, 10, 1);
    const jobs: ExportJob[] = [];
    const calls: ExportCall[] = [];
    for (let i = 0; i < N; i++) {
      const member = i % 3 === 0 ? null : `m${i % 4}@host`; // every third row from before attribution
      jobs.push({
        id: `j-${String(i).padStart(5, '0')}`,
        kind: i % 2 ? 'claude-code' : 'llm',
        status: i % 5 ? 'completed' : 'failed',
        agent: i % 2 ? null : 'mini-worker',
        model: 'gpt-4o-mini',
        request: { task: `task ${i}`, n: i },
        result: i % 5 ? { job_status: 'completed', changed_files: [`f${i}.ts`] } : null,
        error: i % 5 ? null : 'check failed',
        created_at: T0 + i * 1000,
        updated_at: T0 + i * 1000 + 5,
        max_cost_micros: i % 7 ? null : 250_000,
        member,
        machine: member && 'host',
      });
      calls.push({
        id: i + 1,
        job_id: jobs[i]!.id,
        reservation_id: i % 1000 === 999 ? null : `r-${i}`, // a few without a reservation id: keyed by ledger and row
        model: 'gpt-4o-mini',
        input_tokens: 100 + i,
        output_tokens: i % 50,
        cache_read_tokens: 0,
        cost_micros: 17 + i,
        status: i % 11 ? 'ok' : 'orphaned',
        route: i % 13 ? 'primary' : null,
        latency_ms: i % 13 ? 200 + (i % 100) : null,
        created_at: T0 + i * 1000 + 3,
        member,
        machine: member && 'host',
      });
    }
    await store.write((db) => {
      for (const j of jobs)
        run(
          db,
          `INSERT INTO jobs (id, kind, status, agent, model, request_json, result_json, error, created_at, updated_at, max_cost_micros, pid, member, machine)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
          [
            j.id,
            j.kind,
            j.status,
            j.agent,
            j.model,
            JSON.stringify(j.request),
            j.result === null ? null : JSON.stringify(j.result),
            j.error,
            j.created_at,
            j.updated_at,
            j.max_cost_micros,
            j.member,
            j.machine,
          ],
        );
      for (const c of calls)
        run(
          db,
          `INSERT INTO model_calls (id, job_id, reservation_id, model, input_tokens, output_tokens, cache_read_tokens, cost_micros, status, route, latency_ms, created_at, member, machine)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          Object.values(c),
        );
    });
    const ledger = ledgerOnStore(store, { caps: caps(1e12), identity, clock: () => T0 + 1e9 });
    await ledger.tripBreaker({ reason: 'manual', detail: 'by hand' });
    await ledger.resetBreaker();

    const out = sink();
    const counts = await exportStore(store, out, { file: '/memory', identity, now: T0 + 2e9 });
    await ledger.close();
    assert.deepEqual(counts, { jobs: N, model_calls: N, breaker_events: 2 });

    const text = out.chunks.join('');
    const biggest = Math.max(...out.chunks.map((c) => c.length));
    assert.ok(out.chunks.length >= 40, `written in pages (${out.chunks.length} writes)`);
    assert.ok(biggest * 20 < text.length, `no write holds more than a page (${biggest} of ${text.length} chars)`);

    const parsed = parseAll(text);
    assert.equal(parsed.length, 1 + N + N + 2);
    const header = parsed[0]!;
    assert.ok(header.type === 'header');
    assert.deepEqual(
      [header.counts, header.source.identity, header.source.schema_version, header.exported_at],
      [counts, identity, 11, new Date(T0 + 2e9).toISOString()],
    );
    const of = <T extends ExportLine['type']>(type: T) => parsed.filter((l) => l.type === type);
    assert.deepEqual(
      of('job').map((l) => (l.type === 'job' ? l.job : null)),
      jobs,
    );
    assert.deepEqual(
      of('model_call').map((l) => (l.type === 'model_call' ? l.call : null)),
      calls,
    );
    const events = of('breaker_event').map((l) =>
      l.type === 'breaker_event' ? l.event : null,
    ) as ExportBreakerEvent[];
    assert.deepEqual(
      events.map((e) => [e.state, e.reason]),
      [
        ['open', 'manual'],
        ['closed', null],
      ],
    );
    const keys = new Set(parsed.slice(1).map((l) => (l.type === 'header' ? '' : l.key)));
    assert.equal(keys.size, N + N + 2, 'every key is unique');
    assert.ok(
      keys.has(`call:${header.source.ledger_id}/1000`),
      'a call without a reservation id is keyed by ledger and row',
    );
  });

  describe('of a file', () => {
    let tmp: ReturnType<typeof tempDir>;
    let file: string;
    beforeEach(() => {
      tmp = tempDir();
      file = path.join(tmp.dir, 'ledger.sqlite');
    });
    afterEach(() => tmp.cleanup());

    it('names the same source ledger in every export of it, across compactions', async () => {
      const l = await openLedger(file, { caps: caps(1e9), identity, journalMaxLines: 2 });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        await l.createJob({ id: `j${i}`, kind: 'llm', model: 'm', request: null });
        await l.settle((await l.reserve({ jobId: `j${i}`, model: 'm', micros: 100 })).id, spend(10));
        const out = sink();
        await exportLedger(file, out, { identity });
        const header = parseExportLine(out.chunks[0]!.split('\n')[0]!, 1);
        ids.push(header.type === 'header' ? header.source.ledger_id : '');
        assert.equal(parseAll(out.chunks.join('')).length, 1 + 2 * (i + 1));
      }
      await l.close();
      assert.equal(new Set(ids).size, 1, ids.join(' '));
    });

    it('exports a version-10 ledger after migrating it, its old rows attributed to nobody', async () => {
      const db = new (await loadSqlJs()).Database();
      db.exec(SCHEMA);
      db.run('PRAGMA user_version = 10');
      db.run(
        `INSERT INTO jobs (id, kind, status, model, request_json, created_at, updated_at) VALUES ('old', 'llm', 'completed', 'm', '{}', 1, 2)`,
      );
      writeFileSync(file, db.export());
      db.close();
      writeFileSync(`${file}.journal`, headerLine(0));
      const out = sink();
      assert.deepEqual(await exportLedger(file, out, { identity }), { jobs: 1, model_calls: 0, breaker_events: 0 });
      const [, line] = parseAll(out.chunks.join(''));
      assert.ok(line?.type === 'job');
      assert.deepEqual([line.job.id, line.job.member, line.job.machine], ['old', null, null]);
      assert.equal(readFileSync(file).readUInt32BE(60), 11, 'the file was migrated (user_version in the header)');
    });

    it('refuses a path where no ledger exists, creating none', async () => {
      await assert.rejects(exportLedger(file, sink(), { identity }), /no ledger at .*nothing to export/);
      assert.equal(existsSync(file), false);
    });
  });
});
