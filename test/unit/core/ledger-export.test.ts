import assert from 'node:assert/strict';
import { breakerEventKey, callKey, ExportFormatError, jobKey, parseExportLine } from '../../../src/core/ledger-export';

const LEDGER = 'b6f4c3e0-0000-4000-8000-000000000001';
const header = {
  type: 'header',
  format: 'offload-ledger-export',
  version: 1,
  exported_at: '2026-12-03T13:00:00.000Z',
  source: { ledger_id: LEDGER, file: '/l.sqlite', schema_version: 11, identity: { member: 'ana@box', machine: 'box' } },
  counts: { jobs: 1, model_calls: 1, breaker_events: 1 },
};
const job = {
  id: 'j-1',
  kind: 'llm',
  status: 'completed',
  agent: 'mini-worker',
  model: 'gpt-4o-mini',
  request: { task: 'x' },
  result: { job_status: 'completed' },
  error: null,
  created_at: 1,
  updated_at: 2,
  max_cost_micros: null,
  member: null,
  machine: null,
};
const call = {
  id: 7,
  job_id: 'j-1',
  reservation_id: 'r-1',
  model: 'gpt-4o-mini',
  input_tokens: 10,
  output_tokens: 2,
  cache_read_tokens: 0,
  cost_micros: 42,
  status: 'ok',
  route: 'primary',
  latency_ms: 120,
  created_at: 3,
  member: 'ana@box',
  machine: 'box',
};
const event = { id: 3, at: 4, state: 'open', reason: 'manual', detail: 'by hand' };
const lines = {
  job: { type: 'job', key: 'job:j-1', job },
  call: { type: 'model_call', key: 'call:r-1', call },
  event: { type: 'breaker_event', key: `breaker:${LEDGER}/3`, event },
};

/** Asserts parseExportLine throws ExportFormatError for `line` at `n`, naming `field`, with a message matching `why`. */
function refuses(line: unknown, n: number, field: string, why: RegExp, ledgerId: string | null = LEDGER): void {
  assert.throws(
    () => parseExportLine(typeof line === 'string' ? line : JSON.stringify(line), n, ledgerId ?? undefined),
    (err: unknown) => {
      assert.ok(err instanceof ExportFormatError, String(err));
      assert.deepEqual([err.line, err.field], [n, field], err.message);
      assert.match(err.message, why);
      assert.ok(err.message.startsWith(`line ${n}: ${field}: `), err.message);
      return true;
    },
  );
}

describe('ledger export lines (parseExportLine)', () => {
  it('parses a header and a line of each kind back to the values written', () => {
    assert.deepEqual(parseExportLine(JSON.stringify(header), 1), header);
    for (const line of Object.values(lines)) assert.deepEqual(parseExportLine(JSON.stringify(line), 2, LEDGER), line);
  });

  it('keys a call by its reservation, else by ledger and row; a breaker event by ledger and row', () => {
    assert.equal(jobKey('j-1'), 'job:j-1');
    assert.equal(callKey(LEDGER, { id: 7, reservation_id: 'r-1' }), 'call:r-1');
    assert.equal(callKey(LEDGER, { id: 7, reservation_id: null }), `call:${LEDGER}/7`);
    assert.equal(breakerEventKey(LEDGER, 3), `breaker:${LEDGER}/3`);
    const bare = { ...lines.call, key: `call:${LEDGER}/7`, call: { ...call, reservation_id: null } };
    assert.deepEqual(parseExportLine(JSON.stringify(bare), 5, LEDGER), bare);
  });

  const bad: Array<[string, unknown, number, string, RegExp]> = [
    ['text that is not JSON', '{"type":"job",', 4, '(line)', /is not JSON/],
    ['an unknown line type', { type: 'spend', key: 'x' }, 2, 'type', /./],
    ['a job line first', lines.job, 1, 'type', /first line must be the header/],
    ['a second header', header, 9, 'type', /header may only be the first line/],
    ['another format version', { ...header, version: 2 }, 1, 'version', /./],
    ['a header without counts', { ...header, counts: undefined }, 1, 'counts', /./],
    ['a field the format lacks', { ...lines.job, job: { ...job, extra: 1 } }, 3, 'job', /extra/],
    ['a job without a model', { ...lines.job, job: { ...job, model: undefined } }, 3, 'job.model', /./],
    ['an unknown job status', { ...lines.job, job: { ...job, status: 'paused' } }, 3, 'job.status', /./],
    ['a fractional cost', { ...lines.call, call: { ...call, cost_micros: 1.5 } }, 6, 'call.cost_micros', /int/i],
    ['a negative token count', { ...lines.call, call: { ...call, input_tokens: -1 } }, 6, 'call.input_tokens', /./],
    [
      'a member name of 200 characters',
      { ...lines.call, call: { ...call, member: 'm'.repeat(200) } },
      6,
      'call.member',
      /./,
    ],
    ['a job key for another job', { ...lines.job, key: 'job:j-2' }, 3, 'key', /must be "job:j-1"/],
    ['a call key for another reservation', { ...lines.call, key: 'call:r-9' }, 3, 'key', /must be "call:r-1"/],
    ['an event keyed to another ledger', { ...lines.event, key: 'breaker:other/3' }, 8, 'key', /must be "breaker:/],
  ];
  for (const [what, line, n, field, why] of bad) {
    it(`refuses ${what}, naming line ${n} and ${field}`, () => refuses(line, n, field, why));
  }

  it("refuses a row line when the header's ledger id is not given (its key cannot be checked)", () => {
    refuses(lines.job, 2, 'key', /without the header's source\.ledger_id/, null);
  });
});
