import { meteredCall, type CallSpec } from '../../src/adapter/metered-call';
import type { Meter, MeteredJob } from '../../src/adapter/meter';
import { PriceBook } from '../../src/core/pricing';
import type { Reservation, SettleInput } from '../../src/ledger/ledger';

/**
 * A Meter for one job (adapter key `key`) whose every call is the real meteredCall over a ledger
 * port that only records: `calls` lists reserve/settle/release in order, `specs` what each call
 * reserved for, `settles` what each settle wrote. Nothing is ever refused. `job.model` costs
 * 1 USD per million tokens, input and output.
 */
export function recordingMeter(job: MeteredJob, key: string) {
  const calls: string[] = [];
  const specs: CallSpec[] = [];
  const settles: SettleInput[] = [];
  let resolveSettled!: (s: SettleInput) => void;
  const settled = new Promise<SettleInput>((r) => (resolveSettled = r));
  const prices = new PriceBook({ [job.model]: { input_mtok: 1, output_mtok: 1 } });
  const ledger = {
    async reserve(r: { jobId: string; model: string; micros: number }): Promise<Reservation> {
      calls.push('reserve');
      return {
        id: `h${calls.length}`,
        jobId: r.jobId,
        model: r.model,
        micros: r.micros,
        createdAt: 0,
        pid: process.pid,
      };
    },
    async settle(_id: string, input: SettleInput) {
      calls.push('settle');
      settles.push(input);
      resolveSettled(input);
    },
    async release() {
      calls.push('release');
    },
  };
  const meter: Meter = {
    authorize: (k) => (k === key ? job : undefined),
    call(j, spec, metrics, send) {
      const full = { ...spec, jobId: j.jobId, signal: j.signal };
      specs.push(full);
      return meteredCall({ ledger, prices, clock: Date.now, metrics }, full, send);
    },
  };
  return { meter, calls, specs, settles, settled };
}
