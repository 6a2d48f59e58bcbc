import { strict as assert } from 'node:assert';
import { BadRequestError } from 'openai';
import {
  createBatchClient,
  FINAL_BATCH_STATUSES,
  NoBatchApiError,
  type BatchClient,
} from '../../src/adapter/batch-client';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';

const line = (custom_id: string, content: string) => ({
  custom_id,
  body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content }], max_tokens: 100 },
});

/** Polls until the batch is final; the stand-in advances one step per poll. */
async function pollToEnd(client: BatchClient, id: string) {
  for (let i = 0; i < 50; i++) {
    const b = await client.get(id);
    if (FINAL_BATCH_STATUSES.includes(b.status)) return b;
  }
  throw new Error('batch never ended');
}

describe('batch client against the scripted gateway (stand-in for the model provider)', () => {
  let gw: ScriptedGateway;
  let client: BatchClient;
  beforeEach(async () => {
    gw = await startScriptedGateway({
      apiKey: 'k',
      script: (req) =>
        String(req.body.messages[0].content) === 'fail'
          ? { error: { status: 400, message: 'bad item' } }
          : { text: `done: ${req.body.messages[0].content}`, usage: { prompt_tokens: 30, completion_tokens: 7 } },
    });
    client = createBatchClient({ baseURL: gw.url, apiKey: 'k', timeoutMs: 5_000 });
  });
  afterEach(async () => {
    client.close();
    await gw.close();
  });

  it('uploads, creates, polls to completed and reads the output and error files per custom_id', async () => {
    const fileId = await client.upload([line('a', 'one'), line('b', 'fail'), line('c', 'three')]);
    const created = await client.create(fileId, { offload: 'test' });
    assert.equal(created.status, 'validating');
    const done = await pollToEnd(client, created.id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.request_counts, { total: 3, completed: 2, failed: 1 });
    const out = await client.results(done.output_file_id!);
    assert.deepEqual(
      out.map((r) => [r.custom_id, r.response?.status_code]),
      [
        ['a', 200],
        ['c', 200],
      ],
    );
    const body = out[0]!.response!.body as {
      choices: { message: { content: string } }[];
      usage: { prompt_tokens: number };
    };
    assert.equal(body.choices[0]!.message.content, 'done: one');
    assert.equal(body.usage.prompt_tokens, 30);
    const errs = await client.results(done.error_file_id!);
    assert.deepEqual(
      errs.map((r) => [r.custom_id, r.response?.status_code]),
      [['b', 400]],
    );
  });

  it('cancels a running batch and keeps the results of the lines already answered', async () => {
    const created = await client.create(await client.upload([line('a', 'one'), line('b', 'two'), line('c', 'three')]));
    await client.get(created.id); // validating → in_progress
    await client.get(created.id); // answers line a
    assert.equal((await client.cancel(created.id)).status, 'cancelling');
    const done = await pollToEnd(client, created.id);
    assert.equal(done.status, 'cancelled');
    assert.deepEqual(
      (await client.results(done.output_file_id!)).map((r) => r.custom_id),
      ['a'],
    );
    assert.deepEqual(
      (await client.results(done.error_file_id!)).map((r) => [r.custom_id, r.error?.code]),
      [
        ['b', 'batch_cancelled'],
        ['c', 'batch_cancelled'],
      ],
    );
  });

  it('is refused as OpenAI refuses: bad lines fail the batch at validation, naming each line', async () => {
    // A line with the wrong url, sent past the client (which always writes the endpoint).
    const form = new FormData();
    form.append('purpose', 'batch');
    const jsonl = [
      JSON.stringify({ custom_id: 'x', method: 'POST', url: '/v1/embeddings', body: {} }),
      JSON.stringify({ method: 'POST', url: '/v1/chat/completions', body: {} }),
    ].join('\n');
    form.append('file', new Blob([jsonl]), 'bad.jsonl');
    const up = await fetch(`${gw.url}/files`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: form });
    const { id } = (await up.json()) as { id: string };
    const failed = await pollToEnd(client, (await client.create(id)).id);
    assert.equal(failed.status, 'failed');
    assert.deepEqual(
      failed.errors?.data?.map((e) => [e.line, e.code]),
      [
        [1, 'mismatched_endpoint'],
        [2, 'missing_required_parameter'],
      ],
    );
  });

  it('a file with another purpose is refused with 400', async () => {
    const form = new FormData();
    form.append('purpose', 'fine-tune');
    form.append('file', new Blob(['{}']), 'x.jsonl');
    const up = await fetch(`${gw.url}/files`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: form });
    assert.equal(up.status, 400);
    await assert.rejects(client.create('file-unknown'), BadRequestError);
  });

  it('throws NoBatchApiError against a gateway without a Batch API (404 on /v1/batches)', async () => {
    const plain = await startScriptedGateway({ script: [], batchApi: false });
    const c = createBatchClient({ baseURL: plain.url, apiKey: 'k', timeoutMs: 5_000 });
    try {
      await assert.rejects(c.create('file-1'), NoBatchApiError);
    } finally {
      c.close();
      await plain.close();
    }
  });
});
