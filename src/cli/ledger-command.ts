import { checkLedger } from '../ledger/integrity-check';
import { repairLedger } from '../ledger/repair';
import { cliConfig, isUsageError } from './args';
import { runLedgerExportCommand } from './ledger-export-command';

const USAGE =
  "usage: offload-worker ledger check|repair|export\n  check   report the ledger files' integrity; exit 1 on damage\n  repair  rebuild a damaged ledger, keeping the damaged files beside it, and say what was kept and lost\n" +
  '  export [--out FILE] [--ledger FILE]  write the local ledger\'s history as JSONL (README, "Team ledger")\n';

/**
 * `offload-worker ledger check|repair` on the ledger at OFFLOAD_LEDGER (or the default path).
 * check: one line per finding on stdout, exit 0 when sound, 1 when damaged (integrity-check.ts).
 * repair: one line per thing kept, moved aside or lost (repair.ts), then a check of the result;
 * exit 0 when the repaired ledger is sound. export: ledger-export-command.ts. `import` (into a
 * team ledger) is not here yet. Exit 2 on usage.
 */
export async function runLedgerCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'export') {
    try {
      return await runLedgerExportCommand(rest);
    } catch (err) {
      if (!isUsageError(err)) throw err;
      process.stderr.write(`offload-worker ledger export: ${err.message}\n${USAGE}`);
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
