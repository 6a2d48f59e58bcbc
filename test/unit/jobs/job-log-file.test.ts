import { strict as assert } from 'node:assert';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobLogFile, jobLogDir, jobLogPath, pruneJobLogs, readJobLog } from '../../../src/jobs/job-log-file';

describe('job log file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'offload-joblog-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lives in a jobs folder beside the ledger, named by the job id', () => {
    assert.equal(jobLogDir('/data/offload/ledger.sqlite'), '/data/offload/jobs');
    assert.equal(jobLogPath('/data/offload/jobs', 'a1-b2_c3'), '/data/offload/jobs/a1-b2_c3.log');
  });

  it('refuses an id that would name a path outside the folder', () => {
    for (const id of ['../ledger', 'a/b', '', 'x.log'])
      assert.throws(() => jobLogPath(dir, id), /cannot name a log file/, id);
  });

  it('is read back in order by another reader while the writer appends (folder created on first line)', () => {
    const path = jobLogPath(join(dir, 'jobs'), 'j1');
    const file = new JobLogFile(path);
    file.append('claude started: pid 42');
    assert.deepEqual(readJobLog(path, 10), { lines: ['claude started: pid 42'], total: 1 });
    file.append('tool Edit src/a.ts');
    file.append('two\nlines');
    assert.deepEqual(readJobLog(path, 2), { lines: ['tool Edit src/a.ts', 'two lines'], total: 3 });
    assert.equal(statSync(path).mode & 0o777, 0o600, 'only the user may read a job log');
  });

  it('keeps the newest lines within its bound, cut at a line start, and counts every line', () => {
    const path = jobLogPath(dir, 'big');
    const file = new JobLogFile(path, { maxBytes: 4096 });
    for (let i = 1; i <= 1000; i++) {
      file.append(`line ${i} ${'x'.repeat(i % 50)}`);
      assert.ok(statSync(path).size <= 4096, `size ${statSync(path).size} after line ${i}`);
    }
    const read = readJobLog(path, 5000);
    assert.equal(read.total, 1000);
    assert.equal(read.lines.at(-1), `line 1000 ${'x'.repeat(0)}`);
    assert.ok(read.lines.length > 20 && read.lines.length < 1000, `${read.lines.length} lines kept`);
    const first = Number(/^line (\d+)/.exec(read.lines[0]!)?.[1]);
    assert.deepEqual(
      read.lines,
      Array.from({ length: 1001 - first }, (_, k) => `line ${first + k} ${'x'.repeat((first + k) % 50)}`),
      'no gap, no torn line',
    );
    assert.ok(readFileSync(path, 'utf8').startsWith('{"n":'), 'the first kept line is whole');
  });

  it('skips a last line that is still being written', () => {
    const path = jobLogPath(dir, 'j2');
    new JobLogFile(path).append('whole');
    appendFileSync(path, '{"n":2,"line":"half wri');
    assert.deepEqual(readJobLog(path, 10), { lines: ['whole'], total: 1 });
  });

  it('reads a missing file as an empty log, and n = 0 as no lines', () => {
    assert.deepEqual(readJobLog(jobLogPath(dir, 'never'), 10), { lines: [], total: 0 });
    const path = jobLogPath(dir, 'j3');
    new JobLogFile(path).append('a');
    assert.deepEqual(readJobLog(path, 0), { lines: [], total: 1 });
  });

  it('reports a log path taken by a folder once, and does not throw', () => {
    const path = jobLogPath(dir, 'j5');
    mkdirSync(path);
    const errors: string[] = [];
    const file = new JobLogFile(path, { onError: (m) => errors.push(m) });
    file.append('a');
    file.append('b');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /j5\.log cannot be written .*other processes will not see/);
  });

  it('prunes only log files older than the retention', () => {
    const now = Date.now();
    writeFileSync(join(dir, 'old.log'), 'x');
    writeFileSync(join(dir, 'new.log'), 'x');
    writeFileSync(join(dir, 'other.txt'), 'x');
    const old = new Date(now - 8 * 86_400_000);
    utimesSync(join(dir, 'old.log'), old, old);
    utimesSync(join(dir, 'other.txt'), old, old);
    assert.equal(pruneJobLogs(dir, 7 * 86_400_000, now), 1);
    assert.deepEqual(
      ['old.log', 'new.log', 'other.txt'].map((n) => existsSync(join(dir, n))),
      [false, true, true],
    );
    assert.equal(pruneJobLogs(join(dir, 'missing'), 1, now), 0);
  });
});
