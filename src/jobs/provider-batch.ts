/**
 * queue_batch mode "batch": the jobs of a queue_batch sent as one provider Batch API batch
 * (src/adapter/batch-client.ts) instead of through the engine's queue. The money rules hold
 * (DESIGN.md): every item's worst case × the batch price multiplier is reserved before the batch
 * is uploaded; each item is settled to its reported usage × price × multiplier as its result is
 * read; failed, expired and cancelled items are released. Each item is an `llm` job of its own
 * (get_job_status per item); its result carries `batch: {id, status}` so any reader sees the batch.
 */
import { randomUUID } from 'node:crypto';
import type { BatchClient, BatchResultLine } from '../adapter/batch-client';
import { FINAL_BATCH_STATUSES, type Batch } from '../adapter/batch-client';
import type { JobRecord } from '../core/jobs';
import type { PriceBook } from '../core/pricing';
import type { RunJobRequest } from '../core/requests';
import type { Timers } from '../core/timers';
import { usageFromOpenAI } from '../core/usage';
import type { Ledger } from '../ledger/ledger';
import type { HostLedger } from '../ledger/sqlite-ledger';
import type { SubmitMeta } from './engine';
import { shapeChat } from './runners/metered-chat';

/** How far back resume looks for batch items, ms: the 24 h window, twice. */
const RESUME_LOOKBACK_MS = 48 * 60 * 60 * 1000;

/** What a provider batch needs. `multiplier` is the batch gateway's share of list price (0 < m ≤ 1, core/batch-price.ts); `pollMs` BATCH_POLL_MS. */
export interface ProviderBatchDeps {
  /** listReservations: an item's held worst case, charged when the provider reported no usage. */
  ledger: Ledger & Pick<HostLedger, 'listReservations'>;
  prices: PriceBook;
  client: BatchClient;
  multiplier: number;
  pollMs: number;
  /** The clock prices and polls run on (tests pass a fake clock). */
  timers: Timers;
  /** The configured secrets, masked in every prompt. */
  secrets: () => readonly (string | undefined)[];
  /** Builds an item's chat messages and max_tokens (runners/llm.ts llmPrompt). */
  prompt: (request: RunJobRequest) => Promise<{ messages: Parameters<typeof shapeChat>[1]; maxTokens: number }>;
}

/** One item of a batch: its job row, its reservation and its place in the batch (0-based). */
interface Item {
  job: JobRecord;
  reservationId: string;
  agent: string | null;
  index: number;
}

/** The `batch` field of each item's stored result: the batch's id and status, and the item's place in it (`item`, 0-based). */
function batchField(batch: Pick<Batch, 'id' | 'status'>, index: number) {
  return { mode: 'batch', id: batch.id, status: batch.status, item: index };
}

/** Sends queue_batch jobs as provider batches and follows them to their end. */
export class ProviderBatches {
  /** The pending poll timer of each batch followed, and its items. */
  private readonly followed = new Map<string, { handle: unknown; items: Item[] }>();
  /** The batch of each item followed. */
  private readonly batchOf = new Map<string, string>();
  private closed = false;

  constructor(private readonly deps: ProviderBatchDeps) {}

  /**
   * Follows the running batch items in the ledger that no one here follows (their process
   * stopped: the batch id and each item's reservation id live in its result): polls each batch
   * after `pollMs`, then settles or releases its items as submit's batches. Items changed more
   * than RESUME_LOOKBACK_MS ago are not looked at (a batch ends within its 24 h window).
   * Resolves with how many batches it took up.
   */
  async resume(): Promise<number> {
    const since = this.deps.timers.Date.now() - RESUME_LOOKBACK_MS;
    const { jobs } = await this.deps.ledger.jobsChangedSince(since, 10_000);
    const found = new Map<string, Item[]>();
    for (const job of jobs) {
      const batch = (
        job.result as { batch?: { mode?: unknown; id?: unknown; reservation_id?: unknown; item?: unknown } } | null
      )?.batch;
      if (job.status !== 'running' || batch?.mode !== 'batch') continue;
      if (typeof batch.id !== 'string' || typeof batch.reservation_id !== 'string') continue;
      if (this.followed.has(batch.id)) continue;
      const items = found.get(batch.id) ?? [];
      const index = typeof batch.item === 'number' ? batch.item : items.length;
      items.push({ job, reservationId: batch.reservation_id, agent: job.agent, index });
      found.set(batch.id, items);
    }
    for (const [batchId, items] of found) {
      for (const item of items) this.batchOf.set(item.job.id, batchId);
      this.schedule(batchId, items);
    }
    return found.size;
  }

  /**
   * The item jobs of provider batch `batchId` (their result's `batch.id`), from the ledger, so any
   * process sees any batch; items changed more than RESUME_LOOKBACK_MS ago are not looked at.
   * Empty when there is no such batch.
   */
  async itemsOf(batchId: string): Promise<JobRecord[]> {
    const { jobs } = await this.deps.ledger.jobsChangedSince(this.deps.timers.Date.now() - RESUME_LOOKBACK_MS, 10_000);
    return jobs.filter((job) => {
      const batch = (job.result as { batch?: { mode?: unknown; id?: unknown } } | null)?.batch;
      return job.kind === 'llm' && batch?.mode === 'batch' && batch.id === batchId;
    });
  }

  /** Whether the gateway has a Batch API (BatchClient.supported). */
  supported(): Promise<boolean> {
    return this.deps.client.supported();
  }

  /** `x` µUSD at the batch price, rounded up (a held worst case never undershoots). */
  private discounted(micros: number): number {
    return Math.ceil(micros * this.deps.multiplier);
  }

  /**
   * Creates one `llm` job per item, reserves each one's worst case at the batch price, uploads the
   * items and creates the batch, then polls it every `pollMs`. Resolves with the item jobs
   * (`running`). On any failure before the batch exists (a BudgetExceededError at reserve, the
   * upload or create refused, NoBatchApiError) every reservation taken is released, the jobs
   * created are failed with the reason, and the error is rethrown.
   */
  async submit(items: { request: RunJobRequest; meta: SubmitMeta }[]): Promise<JobRecord[]> {
    const { ledger, prices, timers } = this.deps;
    const taken: Item[] = [];
    const lines = [];
    try {
      for (const { request, meta } of items) {
        const job = await ledger.createJob({
          id: randomUUID(),
          kind: 'llm',
          agent: meta.agent ?? null,
          model: meta.model,
          request: { ...request, mode: 'batch' },
          maxCostMicros: meta.maxCostMicros ?? null,
        });
        const { messages, maxTokens } = await this.deps.prompt(request);
        const { params, bound } = shapeChat(meta.model, messages, maxTokens, this.deps.secrets());
        const worst = prices.worstCase(meta.model, bound, maxTokens, new Date(timers.Date.now()));
        const reservation = await ledger.reserve({ jobId: job.id, model: meta.model, micros: this.discounted(worst) });
        taken.push({ job, reservationId: reservation.id, agent: meta.agent ?? null, index: taken.length });
        lines.push({ custom_id: job.id, body: params as unknown as Record<string, unknown> });
      }
      const fileId = await this.deps.client.upload(lines);
      const batch = await this.deps.client.create(fileId, { offload: 'queue_batch' });
      const out: JobRecord[] = [];
      for (const item of taken)
        out.push(
          await ledger.updateJob(item.job.id, {
            status: 'running',
            result: { batch: { ...batchField(batch, item.index), reservation_id: item.reservationId } },
          }),
        );
      for (const item of taken) this.batchOf.set(item.job.id, batch.id);
      this.schedule(batch.id, taken);
      return out;
    } catch (err) {
      for (const item of taken) await ledger.release(item.reservationId);
      const reason = err instanceof Error ? err.message : String(err);
      for (const item of taken)
        await ledger.updateJob(item.job.id, {
          status: 'failed',
          error: `the provider batch was not created: ${reason}`,
        });
      throw err;
    }
  }

  /** Polls `batchId` after `pollMs`; a poll that fails is tried again at the next one. */
  private schedule(batchId: string, items: Item[]): void {
    if (this.closed) return;
    const handle = this.deps.timers.setTimeout(() => {
      void this.poll(batchId, items).catch(() => this.schedule(batchId, items));
    }, this.deps.pollMs);
    this.followed.set(batchId, { handle, items });
  }

  /**
   * Cancels the provider batch of an item (`POST /batches/{id}/cancel`: every item of it) and
   * polls it at once; the items answered before keep their results, the others end `cancelled`
   * and are released. False when `jobId` is no item of a batch this process follows. Throws the
   * client's errors (the batch then goes on, and is polled as before).
   */
  async cancel(jobId: string): Promise<boolean> {
    const batchId = this.batchOf.get(jobId);
    const followed = batchId === undefined ? undefined : this.followed.get(batchId);
    if (!batchId || !followed) return false;
    await this.deps.client.cancel(batchId);
    this.deps.timers.clearTimeout(followed.handle);
    await this.poll(batchId, followed.items).catch(() => this.schedule(batchId, followed.items));
    return true;
  }

  private async poll(batchId: string, items: Item[]): Promise<void> {
    const ids = items.map((i) => i.job.id);
    // A cancel asked from another process (ledger.requestCancel) cancels the batch here.
    if ((await this.deps.ledger.cancelRequested(ids)).length) await this.deps.client.cancel(batchId);
    const batch = await this.deps.client.get(batchId);
    if (!FINAL_BATCH_STATUSES.includes(batch.status)) {
      for (const item of items) {
        const job = await this.deps.ledger.getJob(item.job.id);
        if (job?.status !== 'running') continue;
        const stored = (job.result ?? {}) as { batch?: object };
        await this.deps.ledger.updateJob(job.id, {
          result: { ...stored, batch: { ...stored.batch, ...batchField(batch, item.index) } },
        });
      }
      return this.schedule(batchId, items);
    }
    this.followed.delete(batchId);
    for (const id of ids) this.batchOf.delete(id);
    const lines = new Map<string, BatchResultLine>();
    for (const fileId of [batch.output_file_id, batch.error_file_id])
      if (fileId) for (const line of await this.deps.client.results(fileId)) lines.set(line.custom_id, line);
    for (const item of items) await this.finish(item, batch, lines.get(item.job.id));
  }

  /**
   * Settles (a 200 answer) or releases (anything else) one item, and ends its job if it is still
   * running. The money is settled even when the job was ended meanwhile (the provider answered it);
   * an answer without usage is charged the held worst case (fail closed, as meteredCall does).
   */
  private async finish(item: Item, batch: Batch, line: BatchResultLine | undefined): Promise<void> {
    const { ledger, prices, timers } = this.deps;
    const job = await ledger.getJob(item.job.id);
    if (!job) return;
    const running = job.status === 'running';
    const result = { agent: item.agent, batch: batchField(batch, item.index) };
    const body = line?.response?.status_code === 200 ? (line.response.body as CompletionBody) : null;
    if (!body) {
      await ledger.release(item.reservationId);
      const cancelled = batch.status === 'cancelled' && (!line || line.error?.code === 'batch_cancelled');
      if (running)
        await ledger.updateJob(job.id, {
          status: cancelled ? 'cancelled' : 'failed',
          result,
          error: itemError(batch, line),
        });
      return;
    }
    const usage = usageFromOpenAI(body.usage);
    const model = typeof body.model === 'string' ? body.model : job.model;
    const held = (await ledger.listReservations()).find((r) => r.id === item.reservationId);
    if (!held) return; // settled or released already (another process followed the same batch)
    const costMicros = body.usage
      ? this.discounted(prices.cost(job.model, usage, new Date(timers.Date.now())))
      : held.micros;
    await ledger.settle(item.reservationId, { model, usage, costMicros, status: body.usage ? 'ok' : 'usage_missing' });
    const choice = body.choices?.[0];
    if (running)
      await ledger.updateJob(job.id, {
        status: 'completed',
        result: { ...result, output: choice?.message?.content ?? '', finish_reason: choice?.finish_reason ?? null },
      });
  }

  /** Stops polling (shutdown). The batches go on at the provider. */
  close(): void {
    this.closed = true;
    for (const { handle } of this.followed.values()) this.deps.timers.clearTimeout(handle);
    this.followed.clear();
  }
}

/** The parts of a chat completion a batch item's result reads. */
interface CompletionBody {
  model?: unknown;
  usage?: Parameters<typeof usageFromOpenAI>[0];
  choices?: { message?: { content?: string | null }; finish_reason?: string | null }[];
}

/** Why an item has no answer: its upstream error, the batch's end (expired, cancelled, failed), or a missing line. */
function itemError(batch: Batch, line: BatchResultLine | undefined): string {
  if (line?.error)
    return `provider batch ${batch.id}: ${line.error.code ?? 'error'}: ${line.error.message ?? ''}`.trim();
  if (line?.response) {
    const b = line.response.body as { error?: { message?: string } } | null;
    return `provider batch ${batch.id}: HTTP ${line.response.status_code}: ${b?.error?.message ?? 'no message'}`;
  }
  if (batch.status === 'failed')
    return `provider batch ${batch.id} failed validation: ${batch.errors?.data?.map((e) => `line ${e.line}: ${e.message}`).join('; ') ?? 'no reason given'}`;
  return `provider batch ${batch.id} ended ${batch.status} without an answer for this item`;
}
