import { strict as assert } from 'node:assert';
import { attachReceipt, BYTES_PER_TOKEN, chatTranscriptBytes } from '../../../src/core/savings';
import { PriceBook, UnknownPriceError } from '../../../src/core/pricing';

const prices = new PriceBook({
  cheap: { input_mtok: 0.1, output_mtok: 0.4 },
  premium: { input_mtok: 3, output_mtok: 15, cache_read_mtok: 0.3 },
});
const usage = { input_tokens: 10_000, output_tokens: 1_000, cache_read_tokens: 50_000 };
const bytesOf = (v: unknown) => Buffer.byteLength(JSON.stringify(v, null, 2), 'utf8');

describe('savings receipt (core/savings)', () => {
  it('counts returned_bytes as the pretty JSON the tool returns, the receipt itself included', () => {
    const result = { job_id: 'j', job_status: 'completed', diff: 'é'.repeat(100) };
    const out = attachReceipt(
      result,
      { transcriptBytes: 200_000, usage, costMicros: 3_400, referenceModel: 'premium' },
      prices,
    );
    assert.equal(out.savings.returned_bytes, bytesOf(out));
    assert.equal(out.savings.caller_tokens_avoided, Math.ceil((200_000 - bytesOf(out)) / BYTES_PER_TOKEN));
    assert.equal(out.diff, result.diff, 'the result is unchanged apart from savings');
  });

  it('prices the same tokens at the reference model and reports saved_usd as the difference', () => {
    const out = attachReceipt(
      {},
      { transcriptBytes: 1_000, usage, costMicros: 3_400, referenceModel: 'premium' },
      prices,
    );
    // premium: 10,000 × $3 + 50,000 × $0.3 + 1,000 × $15 per Mtok = $0.03 + $0.015 + $0.015
    assert.deepEqual(
      [
        out.savings.upstream_input_tokens,
        out.savings.cost_usd,
        out.savings.reference_model,
        out.savings.reference_cost_usd,
        out.savings.saved_usd,
      ],
      [60_000, 0.0034, 'premium', 0.06, 0.0566],
    );
  });

  it('never reports negative tokens avoided when the result is larger than the transcript', () => {
    const out = attachReceipt(
      { output: 'x'.repeat(500) },
      {
        transcriptBytes: 10,
        usage: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0 },
        costMicros: 0,
        referenceModel: 'premium',
      },
      prices,
    );
    assert.equal(out.savings.caller_tokens_avoided, 0);
    assert.equal(out.savings.saved_usd, 0);
  });

  it('reports a negative saving when the delegated model costs more than the reference', () => {
    const out = attachReceipt(
      {},
      {
        transcriptBytes: 0,
        usage: { input_tokens: 1_000, output_tokens: 0, cache_read_tokens: 0 },
        costMicros: 10_000,
        referenceModel: 'cheap',
      },
      prices,
    );
    assert.deepEqual([out.savings.reference_cost_usd, out.savings.saved_usd], [0.0001, -0.0099]);
  });

  it('throws UnknownPriceError for a reference model without a price', () => {
    assert.throws(
      () => attachReceipt({}, { transcriptBytes: 0, usage, costMicros: 0, referenceModel: 'nope-model' }, prices),
      UnknownPriceError,
    );
  });

  it('counts a chat transcript as its messages JSON plus the answer, in UTF-8 bytes', () => {
    const messages = [{ role: 'user', content: 'héllo' }];
    assert.equal(chatTranscriptBytes(messages, 'ünïcode'), Buffer.byteLength(JSON.stringify(messages)) + 9);
  });
});
