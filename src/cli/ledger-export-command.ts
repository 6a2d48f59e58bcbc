import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { identityOf } from '../ledger/identity';
import { exportLedger } from '../ledger/export';
import { cliConfig } from './args';

/**
 * `offload-worker ledger export [--out FILE] [--ledger FILE]`: writes the local sql.js ledger's
 * history (OFFLOAD_LEDGER's file, or --ledger; with a team ledger configured, the default local
 * file) as export JSONL (core/ledger-export.ts) to stdout or FILE. FILE is written beside itself
 * first and renamed when complete, so a cut export never looks whole. The counts go to stderr.
 * Exit 0; 1 when the ledger cannot be read (the message says why, and no FILE is left).
 * parseArgs throws TypeError for an unknown flag (exit 2 in ledger-command.ts).
 */
export async function runLedgerExportCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { out: { type: 'string' }, ledger: { type: 'string' } },
    strict: true,
  });
  const config = cliConfig();
  const file = values.ledger ?? config.ledgerPath;
  const identity = identityOf(config.member, config.machine);
  const partial = values.out ? `${values.out}.partial-${process.pid}` : null;
  const out = partial ? createWriteStream(partial, { flags: 'wx' }) : process.stdout;
  try {
    const counts = await exportLedger(file, out, { identity });
    if (partial && values.out) {
      out.end();
      await finished(out);
      renameSync(partial, values.out);
    }
    process.stderr.write(
      `exported ${counts.jobs} jobs, ${counts.model_calls} model calls, ${counts.breaker_events} breaker events from ${file}${values.out ? ` to ${values.out}` : ''}\n`,
    );
    return 0;
  } catch (err) {
    if (partial) {
      // The stream opens its file asynchronously: wait for it to close before removing it, or an
      // open that lands after the removal leaves the partial file behind.
      out.destroy();
      await finished(out).catch(() => undefined);
      rmSync(partial, { force: true });
    }
    process.stderr.write(`offload-worker: ledger export: ${(err as Error).message}\n`);
    return 1;
  }
}
