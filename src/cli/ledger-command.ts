import { checkLedger } from '../ledger/integrity-check';
import { repairLedger } from '../ledger/repair';
import { cliConfig, isUsageError } from './args';
import { runLedgerExportCommand } from './ledger-export-command';
import { runLedgerImportCommand } from './ledger-import-command';

const USAGE =
  "usage: offload-worker ledger check|repair|export|import\n  check   report the ledger files' integrity; exit 1 on damage\n  repair  rebuild a damaged ledger, keeping the damaged files beside it, and say what was kept and lost\n" +
  '  export [--out FILE] [--ledger FILE]  write the local ledger\'s history as JSONL (README, "Team ledger")\n' +
  '  import FILE --member NAME  load an export into the team ledger (OFFLOAD_LEDGER=postgres://…) as NAME; adds only new rows\n';

const SUBCOMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  export: runLedgerExportCommand,
  import: runLedgerImportCommand,
};

/**
 * `offload-worker ledger check|repair` on the ledger at OFFLOAD_LEDGER (or the default path).
 * check: one line per finding on stdout, exit 0 when sound, 1 when damaged (integrity-check.ts).
 * repair: one line per thing kept, moved aside or lost (repair.ts), then a check of the result;
 * exit 0 when the repaired ledger is sound. export: ledger-export-command.ts; import (into a team
 * ledger): ledger-import-command.ts. Exit 2 on usage.
 */
export async function runLedgerCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const run = sub && Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (run) {
    try {
      return await run(rest);
    } catch (err) {
      if (!isUsageError(err)) throw err;
      process.stderr.write(`offload-worker ledger ${sub}: ${err.message}\n${USAGE}`);
      return 2;
    }
  }
  if (sub !== 'check' && sub !== 'repair') {
    process.stderr.write(USAGE);
    return 2;
  }
  const file = cliConfig().ledgerPath;
  if (sub === 'repair') {
    const repaired = await repairLedger(file);
    for (const line of repaired.lines) process.stdout.write(`${line}\n`);
  }
  const report = await checkLedger(file);
  for (const line of report.lines) process.stdout.write(`${line}\n`);
  return report.damaged ? 1 : 0;
}
