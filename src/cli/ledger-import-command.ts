import { parseArgs } from 'node:util';
import { InputError } from '../core/errors';
import { ExportFormatError } from '../core/ledger-export';
import { ledgerLabel, TEAM_LEDGER_FIX } from '../core/ledger-url';
import { formatUsd } from '../core/money';
import { IdentityNameSchema } from '../core/team-ledger-schema';
import { cliConfig } from './args';

/**
 * `offload-worker ledger import FILE --member NAME`: loads the export FILE (`ledger export`) into
 * the team ledger OFFLOAD_LEDGER names, its jobs and model calls attributed to NAME, in one
 * transaction (ledger/postgres/import.ts), then prints on stdout how many rows of each kind were
 * new, the new µUSD (USD) and the time taken (ms). Running it again prints that 0 rows were new.
 * Exit 0 when imported; 1 with the reason on stderr, nothing written, when OFFLOAD_LEDGER is a
 * local file (the message names the fix), the file has a bad line (its number and field) or is
 * cut short, its rows were imported under another member, or the database refuses. Throws
 * InputError for a missing FILE, a missing --member or one OFFLOAD_MEMBER's rule refuses (exit 2 in ledger-command.ts), TypeError from
 * parseArgs for an unknown flag, ConfigError for a bad environment.
 */
export async function runLedgerImportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { member: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [file] = positionals;
  if (!file || positionals.length > 1)
    throw new InputError('FILE', 'takes one export file: ledger import FILE --member NAME');
  if (values.member === undefined) throw new InputError('--member', 'names the member the rows are attributed to');
  const name = IdentityNameSchema.safeParse(values.member.trim());
  if (!name.success) throw new InputError('--member', name.error.issues[0]!.message);
  const member = name.data;
  const config = cliConfig();
  if (config.ledgerUrl === undefined) {
    process.stderr.write(
      `offload-worker: ledger import loads into a team ledger, and OFFLOAD_LEDGER names the local file ${config.ledgerPath}: ` +
        `${TEAM_LEDGER_FIX}, and run it again\n`,
    );
    return 1;
  }
  const started = Date.now();
  try {
    // Loaded only here: the pg driver stays out of every other command's start-up.
    const { importExportFile } = await import('../ledger/postgres/import');
    const r = await importExportFile(config.ledgerUrl, file, {
      member,
      nowMs: started,
      password: config.ledgerPassword,
    });
    const added = r.jobs.added + r.model_calls.added + r.breaker_events.added;
    const read = r.jobs.read + r.model_calls.read + r.breaker_events.read;
    process.stdout.write(
      `imported ${file} into ${ledgerLabel(config)} as ${member}: ${added} of ${read} rows were new ` +
        `(jobs ${r.jobs.added} of ${r.jobs.read}, model calls ${r.model_calls.added} of ${r.model_calls.read}, ` +
        `breaker events ${r.breaker_events.added} of ${r.breaker_events.read}); new spend ${formatUsd(r.addedMicros)} ` +
        `(${r.addedMicros} µUSD)${r.endedJobs ? `; ${r.endedJobs} jobs still queued or running in the export imported failed` : ''}; ` +
        `${Date.now() - started} ms\n`,
    );
    return 0;
  } catch (err) {
    const why = (err as Error).message;
    const tail = err instanceof ExportFormatError ? ': nothing was imported' : '';
    process.stderr.write(`offload-worker: ledger import ${file}: ${why}${tail}\n`);
    return 1;
  }
}
