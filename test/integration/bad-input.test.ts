import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AnalyzeSchema,
  DiscardSchema,
  jobRefSchema,
  noArgsSchema,
  QueueBatchSchema,
  RunJobSchema,
  StartSchema,
  TailSchema,
  WaitSchema,
} from '../../src/core/requests';
import { startAppFixture, toolError, toolJson, type AppFixture } from '../support/app-fixture';

/**
 * Issue 11, item 4: every field of every tool, given bad values, is refused as an MCP tool error
 * that names the field (snake_case, as the caller wrote it) and the limit or the fix, before any
 * job row, reservation, spend or upstream request exists. Real client ⇄ server over
 * InMemoryTransport (which carries NaN and Infinity as they are), real app, scripted gateway.
 */

type Args = Record<string, unknown>;
type Key = string | number;
/** A bad value for one field: what it is, the value (OMIT deletes the field), and what the message must say besides the field. */
interface Bad {
  what: string;
  value: unknown;
  says: RegExp;
}
const OMIT = Symbol('omit');

/** The sandbox's layout: a file, a folder, a symlink out of the sandbox. */
interface Layout {
  root: string;
  file: string;
  dir: string;
  linkOut: string;
  dangling: string;
  fifo: string;
}

const TEXT_LIMIT = 100 * 1024;

function text(limit: number, required: boolean): Bad[] {
  return [
    { what: 'a number', value: 42, says: /must be a string, got the number 42/ },
    { what: 'null', value: null, says: /must be a string, got null/ },
    { what: 'empty', value: '', says: /must not be empty/ },
    {
      what: 'one byte too long',
      value: 'x'.repeat(limit + 1),
      says: new RegExp(`is ${limit + 1} bytes; the limit is ${limit} bytes`),
    },
    {
      what: 'too long in bytes, not in characters',
      value: 'é'.repeat(limit / 2 + 1),
      says: new RegExp(`the limit is ${limit} bytes`),
    },
    { what: 'a NUL byte', value: 'a\0b', says: /must not contain a NUL byte/ },
    ...(required ? [{ what: 'missing', value: OMIT, says: /is required/ }] : []),
  ];
}

/** Bad path strings; `kind` says what the service requires of an existing path. */
function path(l: Layout, kind: 'file' | 'folder' | 'file or folder'): Bad[] {
  const bads: Bad[] = [
    { what: 'a number', value: 7, says: /must be a path string, got the number 7/ },
    { what: 'empty', value: '', says: /must not be empty/ },
    { what: 'longer than PATH_MAX', value: `/${'a/'.repeat(2048)}`, says: /a path is at most 4095 bytes \(PATH_MAX\)/ },
    {
      what: 'a name longer than NAME_MAX',
      value: join(l.root, 'n'.repeat(300)),
      says: /has a name of 300 bytes; a file or folder name is at most 255 bytes/,
    },
    { what: 'a NUL byte', value: join(l.root, 'a\0b'), says: /must not contain a NUL byte/ },
    { what: 'relative', value: 'dir', says: /dir is not an absolute path/ },
    { what: 'outside the sandbox', value: '/etc', says: /\/etc is outside SANDBOX_ROOT/ },
    {
      what: 'a symlink out of the sandbox',
      value: l.linkOut,
      says: /resolves \(through a symlink\) to \/etc, which is outside SANDBOX_ROOT/,
    },
    { what: 'nonexistent', value: join(l.root, 'nope'), says: /nope does not exist/ },
    { what: 'below a file', value: join(l.file, 'below'), says: /below does not exist \(a part of it is a file/ },
    { what: 'a dangling symlink', value: l.dangling, says: /dangling does not exist/ },
    {
      what: 'a FIFO (reading it would block)',
      value: l.fifo,
      says: kind === 'file or folder' ? /fifo is neither a file nor a folder/ : new RegExp(`fifo is not a ${kind}`),
    },
  ];
  if (kind === 'folder') bads.push({ what: 'a file', value: l.file, says: /is not a folder; give a folder/ });
  if (kind === 'file') bads.push({ what: 'a folder', value: l.dir, says: /is not a file; give a file/ });
  return bads;
}

function list(min: number, max: number, item: unknown, required: boolean): Bad[] {
  return [
    { what: 'a string', value: 'a', says: /must be a list, got a string/ },
    { what: `${max + 1} entries`, value: Array(max + 1).fill(item), says: new RegExp(`takes at most ${max} entries`) },
    ...(min > 0 ? [{ what: 'empty', value: [], says: /needs at least 1 entry/ }] : []),
    ...(required ? [{ what: 'missing', value: OMIT, says: /is required/ }] : []),
  ];
}

const usd: Bad[] = [
  { what: '1e12 USD', value: 1e12, says: /must be at most 1000 USD \(MAX_COST_USD_LIMIT\)/ },
  { what: 'negative', value: -1, says: /must be at least 0\.000001 USD/ },
  { what: 'zero', value: 0, says: /must be at least 0\.000001 USD .*omit it/ },
  { what: 'NaN', value: NaN, says: /got NaN/ },
  { what: 'Infinity', value: Infinity, says: /got Infinity/ },
  { what: 'null', value: null, says: /got null/ },
  { what: 'a string', value: '0.5', says: /must be a USD amount from 0\.000001 to 1000 USD, got a string/ },
];

function int(min: number, max: number): Bad[] {
  return [
    { what: 'a string', value: '5', says: new RegExp(`must be an integer from ${min} to ${max}.*, got a string`) },
    { what: 'a fraction', value: 1.5, says: /must be a whole number/ },
    { what: 'below the range', value: min - 1, says: new RegExp(`must be at least ${min}`) },
    { what: 'above the range', value: max + 1, says: new RegExp(`must be at most ${max}`) },
    { what: '1e12', value: 1e12, says: new RegExp(`must be at most ${max}`) },
    { what: 'NaN', value: NaN, says: /got NaN/ },
  ];
}

const enumeration = (values: string): Bad[] => [
  { what: 'an unknown value', value: 'nope', says: new RegExp(`must be one of ${values}, got "nope"`) },
  { what: 'a number', value: 3, says: new RegExp(`must be one of ${values}`) },
];
const bool: Bad[] = [{ what: 'a string', value: 'yes', says: /must be true or false, got a string/ }];
const object = (known: string): Bad[] => [
  { what: 'a string', value: 'x', says: /must be an object, got a string/ },
  { what: 'an unknown field', value: { bogus: 1 }, says: new RegExp(`unknown field "bogus" \\(.*takes ${known}`) },
];
const jobId: Bad[] = [
  ...text(256, true),
  { what: 'unknown', value: 'no-such-job', says: /no job no-such-job; use a job_id returned by start or run_job/ },
];
/** apply and discard take the id of a start job. */
const undoJobId: Bad[] = [
  ...text(256, true),
  { what: 'unknown', value: 'no-such-job', says: /no job no-such-job; use a job_id returned by start/ },
];
const AGENTS = 'mini-worker, balanced-worker, premium-worker';
/** run_job and queue_batch items also take `auto` (routing). */
const RUN_JOB_AGENTS = `${AGENTS}, auto`;

/** One tool's valid base arguments and, per field (its path in the arguments), the bad values to try. */
interface ToolTable {
  tool: string;
  base: Args;
  fields: [Key[], Bad[]][];
}

function tables(l: Layout): ToolTable[] {
  const runJob = {
    agent: 'mini-worker',
    task: 'Summarize',
    input_refs: [l.file],
    caps: { max_tokens: 100, max_cost_usd: 0.5 },
  };
  const runJobFields = (at: Key[]): [Key[], Bad[]][] => [
    [
      [...at, 'agent'],
      [...enumeration(RUN_JOB_AGENTS), { what: 'missing', value: OMIT, says: /must be one of/ }],
    ],
    [[...at, 'task'], text(TEXT_LIMIT, true)],
    [[...at, 'input_refs'], list(0, 50, l.file, false)],
    [[...at, 'input_refs', 0], path(l, 'file')],
    [[...at, 'apply'], bool],
    [[...at, 'checks'], list(0, 20, { name: 'c', command: 'true' }, false)],
    [[...at, 'max_revisions'], int(0, 3)],
    [[...at, 'caps'], object('max_tokens, max_cost_usd')],
    [[...at, 'caps', 'max_tokens'], int(1, 1_000_000)],
    [[...at, 'caps', 'max_cost_usd'], usd],
  ];
  const jobRef = (tool: string): ToolTable => ({
    tool,
    base: { job_id: 'no-such-job' },
    fields: [[['job_id'], jobId]],
  });
  return [
    { tool: 'run_job', base: runJob, fields: runJobFields([]) },
    {
      tool: 'queue_batch',
      base: { jobs: [runJob] },
      fields: [
        [['jobs'], list(1, 50, runJob, true)],
        [['jobs', 0], object('agent, task, input_refs, apply, checks, max_revisions, caps')],
        ...runJobFields(['jobs', 0]),
      ],
    },
    {
      tool: 'analyze',
      base: { question: 'What does it do?', paths: [l.dir, l.file], agent: 'mini-worker', max_tokens: 100 },
      fields: [
        [['question'], text(TEXT_LIMIT, true)],
        [['paths'], list(1, 50, l.file, true)],
        [['paths', 1], path(l, 'file or folder')],
        [['agent'], enumeration(AGENTS)],
        [['max_tokens'], int(1, 1_000_000)],
      ],
    },
    {
      tool: 'start',
      base: {
        prompt: 'Fix the failing test.',
        allowed_dirs: [l.dir],
        cwd: l.dir,
        model: 'gpt-4o-mini',
        permission_mode: 'acceptEdits',
        include_diff: false,
        scoped_patch: { paths: ['src'], max_diff_bytes: 20_000 },
        checks: [{ name: 'unit tests', command: 'true', timeout_ms: 1000 }],
        max_cost_usd: 0.5,
        max_revisions: 1,
      },
      fields: [
        [['prompt'], text(TEXT_LIMIT, true)],
        [['allowed_dirs'], list(1, 50, l.dir, true)],
        [['allowed_dirs', 0], path(l, 'folder')],
        [
          ['cwd'],
          [...path(l, 'folder'), { what: 'outside allowed_dirs', value: l.root, says: /is not inside allowed_dirs/ }],
        ],
        [
          ['model'],
          [
            ...text(256, false),
            {
              what: 'unpriced',
              value: 'my-private-model',
              says: /no price is known for model "my-private-model"; add one with OFFLOAD_PRICES/,
            },
          ],
        ],
        [
          ['permission_mode'],
          [
            ...enumeration('default, acceptEdits, plan, bypassPermissions'),
            { what: 'blocked', value: 'bypassPermissions', says: /set ALLOW_BYPASS_PERMISSIONS=1/ },
          ],
        ],
        [['include_diff'], bool],
        [['scoped_patch'], object('paths, max_diff_bytes')],
        [['scoped_patch', 'paths'], list(1, 50, 'src', true)],
        [
          ['scoped_patch', 'paths', 0],
          [
            { what: 'absolute', value: '/etc', says: /must be relative to the job's folder/ },
            { what: 'leaving the folder', value: 'src/../../x', says: /must not leave the job's folder/ },
            { what: 'a NUL byte', value: 's\0rc', says: /NUL byte/ },
          ],
        ],
        [['scoped_patch', 'max_diff_bytes'], int(1, 64 * 1024 * 1024)],
        [['checks'], list(0, 20, { name: 'c', command: 'true' }, false)],
        [['checks', 0], object('name, command, timeout_ms')],
        [['checks', 0, 'name'], text(256, true)],
        [['checks', 0, 'command'], text(8 * 1024, true)],
        [['checks', 0, 'timeout_ms'], int(1, 3_600_000)],
        [['max_cost_usd'], usd],
        [['max_revisions'], int(0, 3)],
      ],
    },
    {
      tool: 'wait',
      base: { job_id: 'no-such-job', timeout_ms: 0 },
      fields: [
        [['job_id'], jobId],
        [['timeout_ms'], int(0, 3_600_000)],
      ],
    },
    jobRef('get_job_status'),
    jobRef('get'),
    {
      tool: 'tail',
      base: { job_id: 'no-such-job', lines: 5 },
      fields: [
        [['job_id'], jobId],
        [['lines'], int(1, 2000)],
      ],
    },
    jobRef('cancel'),
    { tool: 'apply', base: { job_id: 'no-such-job' }, fields: [[['job_id'], undoJobId]] },
    {
      tool: 'discard',
      base: { job_id: 'no-such-job', force: false },
      fields: [
        [['job_id'], undoJobId],
        [['force'], bool],
      ],
    },
    { tool: 'get_spend_stats', base: {}, fields: [] },
    { tool: 'breaker_status', base: {}, fields: [] },
  ];
}

/** `base` with the value at `at` replaced (or deleted for OMIT); `base` is not changed. */
function withValue(base: Args, at: Key[], value: unknown): Args {
  const copy = structuredClone(base);
  let node = copy as Record<Key, unknown>;
  for (const k of at.slice(0, -1)) node = node[k] as Record<Key, unknown>;
  const last = at[at.length - 1]!;
  if (value === OMIT) delete node[last];
  else node[last] = value;
  return copy;
}

/** The user-facing name of the field at `at`: `jobs[0].caps.max_cost_usd`. */
const fieldName = (at: Key[]) => at.map((k, i) => (typeof k === 'number' ? `[${k}]` : i ? `.${k}` : k)).join('');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** camelCase words the caller may see: the permission modes (user-facing values of permission_mode). */
const USER_CAMEL = new Set(['acceptEdits', 'bypassPermissions']);

const SCHEMAS: Record<string, { safeParse(v: unknown): { success: boolean } }> = {
  run_job: RunJobSchema,
  queue_batch: QueueBatchSchema,
  analyze: AnalyzeSchema,
  start: StartSchema,
  wait: WaitSchema,
  tail: TailSchema,
  get_job_status: jobRefSchema('get_job_status'),
  get: jobRefSchema('get'),
  cancel: jobRefSchema('cancel'),
  apply: jobRefSchema('apply'),
  discard: DiscardSchema,
  get_spend_stats: noArgsSchema('get_spend_stats'),
  breaker_status: noArgsSchema('breaker_status'),
};

function layout(root: string): Layout {
  const l = {
    root,
    file: join(root, 'file.txt'),
    dir: join(root, 'dir'),
    linkOut: join(root, 'link-out'),
    dangling: join(root, 'dangling'),
    fifo: join(root, 'fifo'),
  };
  writeFileSync(l.file, 'hello\n');
  mkdirSync(l.dir);
  symlinkSync('/etc', l.linkOut);
  symlinkSync(join(root, 'gone'), l.dangling);
  execFileSync('mkfifo', [l.fifo]);
  return l;
}

describe('bad input to every field of every tool (real MCP client, real app, scripted gateway)', () => {
  let fx: AppFixture;
  let l: Layout;
  // A fresh app per case (about 10 ms), so that a case that leaks a job or a spend row fails alone.
  beforeEach(async () => {
    fx = await startAppFixture(() => ({ text: 'answer', usage: { prompt_tokens: 10, completion_tokens: 2 } }));
    l = layout(fx.sandbox);
  });
  afterEach(async () => {
    await fx.close();
  });

  it('covers every tool the server lists', async () => {
    const listed = (await fx.client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(
      tables(l)
        .map((t) => t.tool)
        .sort(),
      listed,
    );
  });

  it('advertises the strictness and the limits in tools/list: no additional properties, maxLength, money bounds', async () => {
    const { tools } = await fx.client.listTools();
    for (const t of tools) assert.equal(t.inputSchema.additionalProperties, false, t.name);
    const start = tools.find((t) => t.name === 'start')!.inputSchema.properties as Record<
      string,
      Record<string, unknown>
    >;
    assert.equal(start.prompt!.maxLength, TEXT_LIMIT);
    assert.equal(start.cwd!.maxLength, 4095);
    assert.deepEqual([start.max_cost_usd!.minimum, start.max_cost_usd!.maximum], [0.000001, 1000]);
  });

  it("starts from base arguments that each tool's schema accepts, so each refusal below is its one bad field", () => {
    for (const t of tables(l)) assert.ok(SCHEMAS[t.tool]!.safeParse(t.base).success, t.tool);
  });

  // The layout exists only once the fixture is up, so the table is built with a stand-in root for
  // the test names and rebuilt inside each test with the real one.
  const names = tables({
    root: '/sandbox',
    file: '/sandbox/file.txt',
    dir: '/sandbox/dir',
    linkOut: '/sandbox/link-out',
    dangling: '/sandbox/dangling',
    fifo: '/sandbox/fifo',
  });
  for (const [t, table] of names.entries()) {
    const cases: [Key[] | 'extra', number][] = [
      ['extra', -1],
      ...table.fields.flatMap(([at, bads]) => bads.map((_, b) => [at, b] as [Key[], number])),
    ];
    for (const [at, b] of cases) {
      const label =
        at === 'extra'
          ? 'an unknown extra field'
          : `${fieldName(at)} ${table.fields.find(([f]) => f === at)![1][b]!.what}`;
      it(`${table.tool}: refuses ${label} by name, with nothing reserved, billed or stored`, async () => {
        const real = tables(l)[t]!;
        const fieldAt = at === 'extra' ? undefined : real.fields.find(([f]) => fieldName(f) === fieldName(at))!;
        const bad = fieldAt
          ? fieldAt[1][b]!
          : { what: 'extra', value: 1, says: new RegExp(`unknown field "bogus" \\(${table.tool} takes `) };
        const args = withValue(real.base, at === 'extra' ? ['bogus'] : at, bad.value);
        const text = toolError(await fx.client.callTool({ name: table.tool, arguments: args }));
        assert.match(
          text,
          new RegExp(escape(at === 'extra' ? '"bogus"' : fieldName(at))),
          `names the field: ${text.slice(0, 300)}`,
        );
        assert.match(text, bad.says);
        const camel = (
          text
            .split(fx.sandbox)
            .join('<sandbox>')
            .match(/\b[a-z]+[A-Z][A-Za-z]*\b/g) ?? []
        ).filter((w) => !USER_CAMEL.has(w));
        assert.deepEqual(camel, [], `no internal camelCase names: ${text.slice(0, 300)}`);
        assert.doesNotMatch(text, /\bE[A-Z]{3,}\b/, 'no raw errno code');
        assert.equal((await fx.app.ledger.listJobs()).length, 0, 'no job row');
        const stats = await fx.app.ledger.spendStats();
        assert.equal(stats.current_month, 0, 'no spend');
        assert.equal(stats.reserved, 0, 'nothing reserved');
        assert.equal(stats.reservations_in_flight, 0, 'no reservation in flight');
        assert.equal(fx.gateway.requests.length, 0, 'the gateway got no request');
      });
    }
  }
});

describe('the base arguments of the bad-input table are accepted end to end', () => {
  it('runs run_job, queue_batch and analyze, starts (then cancels and discards) a start job, and answers every job tool', async () => {
    const fx = await startAppFixture(() => ({ text: 'answer', usage: { prompt_tokens: 10, completion_tokens: 2 } }));
    try {
      const l = layout(fx.sandbox);
      const byTool = new Map(tables(l).map((t) => [t.tool, t.base]));
      const done = toolJson(await fx.client.callTool({ name: 'run_job', arguments: byTool.get('run_job')! }));
      assert.equal(done.job_status, 'completed');
      assert.equal(
        toolJson(await fx.client.callTool({ name: 'analyze', arguments: byTool.get('analyze')! })).job_status,
        'completed',
      );
      assert.equal(
        toolJson(await fx.client.callTool({ name: 'queue_batch', arguments: byTool.get('queue_batch')! })).jobs.length,
        1,
      );
      const started = toolJson(await fx.client.callTool({ name: 'start', arguments: byTool.get('start')! }));
      assert.match(started.job_id, /^[0-9a-f-]{36}$/);
      assert.equal(
        toolJson(await fx.client.callTool({ name: 'cancel', arguments: { job_id: started.job_id } })).job_id,
        started.job_id,
      );
      await fx.client.callTool({ name: 'wait', arguments: { job_id: started.job_id, timeout_ms: 20_000 } });
      // The cancelled job keeps its pre-job snapshot until it is discarded (or retention ends it).
      assert.ok(
        !(
          await fx.client.callTool({
            name: 'discard',
            arguments: { ...byTool.get('discard')!, job_id: started.job_id },
          })
        ).isError,
        'discard',
      );
      for (const tool of ['wait', 'get_job_status', 'get', 'tail']) {
        const r = toolJson(
          await fx.client.callTool({ name: tool, arguments: { ...byTool.get(tool)!, job_id: done.job_id } }),
        );
        assert.equal(r.job_id, done.job_id, tool);
      }
      for (const tool of ['get_spend_stats', 'breaker_status'])
        assert.ok(!(await fx.client.callTool({ name: tool, arguments: {} })).isError, tool);
    } finally {
      await fx.close();
    }
  });
});
