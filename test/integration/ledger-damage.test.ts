import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { all } from '../../src/ledger/rows';
import { readLedgerFile, tempDir } from '../unit/ledger/helpers';

const CHILD = path.join(__dirname, 'fixtures', 'ledger-damage-child.ts');

interface Answer {
  ok: boolean;
  reservation?: string;
  error?: { name: string; file: string | null; message: string };
}

/** A worker process of the matrix (fixtures/ledger-damage-child.ts), driven one JSON command at a time. */
class Worker {
  readonly proc: ChildProcess;
  readonly notices: string[] = [];
  private waiting: Array<(a: Answer) => void> = [];
  private readonly exited: Promise<number | null>;
  constructor() {
    this.proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=import', CHILD], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
    let buf = '';
    this.proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const v = JSON.parse(buf.slice(0, nl)) as Answer & { notice?: string };
        buf = buf.slice(nl + 1);
        if (v.notice) this.notices.push(v.notice);
        else this.waiting.shift()?.(v);
      }
    });
  }
  send(cmd: object): Promise<Answer> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    });
  }
  async stop(): Promise<void> {
    this.proc.stdin!.end();
    await this.exited;
  }
}

type Files = { snapshot: string; journal: string; lock: string };
const filesOf = (file: string): Files => ({ snapshot: file, journal: `${file}.journal`, lock: `${file}.lock` });

/** Journal lines (complete ones), header first. */
const journalLines = (f: Files) => readFileSync(f.journal, 'utf8').split('\n').slice(0, -1);

interface DamageCase {
  name: string;
  /** Which file the error must name. */
  names: keyof Files;
  damage: (f: Files, early: Buffer) => void;
  /** 'repaired': the torn-tail case, repaired automatically; otherwise every process refuses. */
  expect?: 'repaired';
  /** The case needs a compaction between the early copy and the damage. */
  journalMaxLines?: number;
  /**
   * Both workers read up to the end before the damage. A running process does not re-read records
   * it already applied, so a rewrite in place of those (ARCHITECTURE.md) is found by its next full
   * read: at once when it is up to date (the journal's mtime changed without growth), otherwise
   * by the next process that opens the ledger.
   */
  syncFirst?: boolean;
}

const CASES: DamageCase[] = [
  { name: 'snapshot missing', names: 'snapshot', damage: (f) => unlinkSync(f.snapshot) },
  { name: 'snapshot empty (0 bytes)', names: 'snapshot', damage: (f) => truncateSync(f.snapshot, 0) },
  {
    name: 'snapshot truncated to half',
    names: 'snapshot',
    damage: (f) => truncateSync(f.snapshot, Math.floor(statSync(f.snapshot).size / 2)),
  },
  {
    name: 'snapshot garbage',
    names: 'snapshot',
    damage: (f) => writeFileSync(f.snapshot, randomBytes(statSync(f.snapshot).size)),
  },
  {
    name: 'snapshot older than the journal (rolled back past a compaction)',
    names: 'journal',
    journalMaxLines: 6,
    damage: (f, early) => writeFileSync(f.snapshot, early),
  },
  { name: 'snapshot read-only', names: 'snapshot', damage: (f) => chmodSync(f.snapshot, 0o444) },
  {
    name: 'journal with a torn final record',
    names: 'journal',
    expect: 'repaired',
    damage: (f) => appendFileSync(f.journal, '{"g":1,"n":99,"s":[["INSERT INTO model_ca'),
  },
  {
    name: 'journal cut in half',
    names: 'journal',
    damage: (f) => truncateSync(f.journal, Math.floor(statSync(f.journal).size / 2)),
  },
  {
    name: 'journal cut at a record boundary (last record dropped)',
    names: 'journal',
    damage: (f) => {
      const l = journalLines(f);
      writeFileSync(f.journal, `${l.slice(0, -1).join('\n')}\n`);
    },
  },
  { name: 'journal empty (0 bytes)', names: 'journal', damage: (f) => truncateSync(f.journal, 0) },
  { name: 'journal missing', names: 'journal', damage: (f) => unlinkSync(f.journal) },
  {
    name: 'journal out of sequence (two records swapped, same size)',
    names: 'journal',
    damage: (f) => {
      const l = journalLines(f);
      const n = l.length;
      [l[n - 1], l[n - 2]] = [l[n - 2]!, l[n - 1]!];
      writeFileSync(f.journal, `${l.join('\n')}\n`);
    },
  },
  {
    name: 'journal garbage in a middle record (same size)',
    names: 'journal',
    syncFirst: true,
    damage: (f) => {
      const l = journalLines(f);
      l[2] = 'x'.repeat(l[2]!.length);
      writeFileSync(f.journal, `${l.join('\n')}\n`);
    },
  },
  { name: 'journal read-only', names: 'journal', damage: (f) => chmodSync(f.journal, 0o444) },
  { name: 'lock that is a file', names: 'lock', damage: (f) => writeFileSync(f.lock, 'not a lock folder') },
  { name: 'lock held by a hung process', names: 'lock', damage: (f) => mkdirSync(f.lock) },
];

/** Every existing ledger file's bytes and mode, to prove a refusal wrote nothing. */
function state(f: Files): string {
  return JSON.stringify(
    [f.snapshot, f.journal].map((p) => (existsSync(p) ? [readFileSync(p).toString('base64'), statSync(p).mode] : null)),
  );
}

describe('ledger damage matrix: every kind of damage, at rest and while two worker processes run', function () {
  this.timeout(90_000);
  let tmp: ReturnType<typeof tempDir>;
  let a: Worker;
  let b: Worker;
  before(() => {
    tmp = tempDir();
    a = new Worker();
    b = new Worker();
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    tmp.cleanup();
  });

  /** Both workers pay `n` calls each, concurrently; returns the reservation ids whose spend row was committed. */
  async function payRound(n: number): Promise<string[]> {
    const answers = await Promise.all(
      [a, b].flatMap((w) => Array.from({ length: n }, (_, i) => w.send({ op: 'pay', micros: 100 + i }))),
    );
    for (const x of answers) assert.ok(x.ok, JSON.stringify(x.error));
    return answers.map((x) => x.reservation!);
  }

  it('under load: a snapshot cut to 0 bytes while both workers pay nonstop stops every later payment in both, and loses no committed row', async () => {
    const f = filesOf(path.join(tmp.dir, 'load', 'ledger.sqlite'));
    for (const x of await Promise.all([
      a.send({ op: 'open', file: f.snapshot }),
      b.send({ op: 'open', file: f.snapshot }),
    ]))
      assert.ok(x.ok, JSON.stringify(x.error));
    const backup = readFileSync(f.snapshot); // appends never rewrite the snapshot (no compaction at this size)
    const answered = [0, 0];
    const streams = [a, b].map((w, k) =>
      Array.from({ length: 120 }, (_, i) =>
        w.send({ op: 'pay', micros: 10 + i }).then((x) => {
          answered[k]!++;
          return x;
        }),
      ),
    );
    while (Math.min(...answered) < 3) await new Promise((r) => setTimeout(r, 5));
    truncateSync(f.snapshot, 0);
    const results = await Promise.all(streams.map((s) => Promise.all(s)));
    // A worker that was far ahead may have sent all of its stream before the cut: its next payment must be refused.
    await Promise.all(
      [a, b].map(async (w, k) => {
        results[k]!.push(await w.send({ op: 'pay', micros: 1 }));
      }),
    );
    const committed: string[] = [];
    for (const answers of results) {
      const firstRefused = answers.findIndex((x) => !x.ok);
      assert.ok(firstRefused >= 0, 'this worker saw the damage and was refused');
      for (const x of answers.slice(firstRefused)) {
        assert.equal(x.ok, false, 'no payment is admitted once the damage was seen');
        assert.equal(x.error?.file, f.snapshot, x.error?.message);
      }
      committed.push(...answers.slice(0, firstRefused).map((x) => x.reservation!));
    }
    assert.ok(committed.length >= 6, 'both paid before the damage');
    writeFileSync(f.snapshot, backup);
    await Promise.all([a.send({ op: 'close' }), b.send({ op: 'close' })]);
    const db = await readLedgerFile(f.snapshot);
    try {
      const rows = new Set(all(db, 'SELECT reservation_id FROM model_calls').map((r) => String(r.reservation_id)));
      assert.deepEqual(
        committed.filter((id) => !rows.has(id)),
        [],
        'every committed spend row is on disk',
      );
      assert.equal(rows.size, committed.length);
    } finally {
      db.close();
    }
  });

  for (const mode of ['at rest', 'while workers run'] as const) {
    for (const [i, c] of CASES.entries()) {
      it(`${mode}: ${c.name} → ${c.expect === 'repaired' ? 'repaired automatically, every complete record kept' : `paid work refused in both processes, naming the ${c.names}`}; no committed spend row lost`, async () => {
        const dir = path.join(tmp.dir, `${mode === 'at rest' ? 'rest' : 'run'}-${i}`);
        const f = filesOf(path.join(dir, 'ledger.sqlite'));
        const open = { op: 'open', file: f.snapshot, journalMaxLines: c.journalMaxLines };
        for (const x of await Promise.all([a.send(open), b.send(open)])) assert.ok(x.ok, JSON.stringify(x.error));
        const committed = await payRound(2);
        const early = readFileSync(f.snapshot);
        committed.push(...(await payRound(3)));
        if (mode === 'at rest') await Promise.all([a.send({ op: 'close' }), b.send({ op: 'close' })]);
        else if (c.syncFirst) await Promise.all([a.send({ op: 'sync' }), b.send({ op: 'sync' })]);
        const backup = { snapshot: readFileSync(f.snapshot), journal: readFileSync(f.journal) };
        const noticesBefore = a.notices.length + b.notices.length;

        c.damage(f, early);
        const damaged = state(f);
        const attempt = () =>
          Promise.all(
            [a, b].map(async (w) => {
              if (mode === 'at rest') {
                const opened = await w.send(open);
                if (!opened.ok) return opened;
              }
              return w.send({ op: 'pay', micros: 7 });
            }),
          );
        const answers = await attempt();

        if (c.expect === 'repaired') {
          for (const x of answers) assert.ok(x.ok, JSON.stringify(x.error));
          committed.push(...answers.map((x) => x.reservation!));
          const notices = [...a.notices, ...b.notices].slice(noticesBefore);
          assert.equal(notices.length, 1, `one process cut the tail and said so: ${JSON.stringify(notices)}`);
          assert.match(notices[0]!, /ledger\.sqlite\.journal ended in a torn record/);
        } else {
          for (const x of answers) {
            assert.equal(x.ok, false, 'paid work was refused');
            assert.equal(x.error?.name, 'LedgerDamageError', x.error?.message);
            assert.equal(x.error?.file, f[c.names], x.error?.message);
            assert.ok(
              x.error!.message.includes(f[c.names]) &&
                /ledger check/.test(x.error!.message) &&
                /ledger repair/.test(x.error!.message),
              x.error!.message,
            );
          }
          assert.equal(state(f), damaged, 'the refusing processes wrote nothing over the damaged files');
          // Undo the damage: the refusal kept every committed row, so the ledger carries on from where it was.
          rmSync(f.lock, { recursive: true, force: true });
          writeFileSync(f.snapshot, backup.snapshot);
          writeFileSync(f.journal, backup.journal);
          chmodSync(f.snapshot, 0o600);
          chmodSync(f.journal, 0o600);
          const again = await attempt();
          for (const x of again) assert.ok(x.ok, JSON.stringify(x.error));
          committed.push(...again.map((x) => x.reservation!));
        }
        await Promise.all([a.send({ op: 'close' }), b.send({ op: 'close' })]);
        const db = await readLedgerFile(f.snapshot);
        try {
          const rows = new Set(all(db, 'SELECT reservation_id FROM model_calls').map((r) => String(r.reservation_id)));
          const lost = committed.filter((id) => !rows.has(id));
          assert.deepEqual(lost, [], 'every committed spend row is on disk');
          assert.equal(rows.size, committed.length, 'and nothing else was billed');
        } finally {
          db.close();
        }
      });
    }
  }
});
