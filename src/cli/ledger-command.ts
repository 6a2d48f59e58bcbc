import { checkLedger } from '../ledger/integrity-check';
import { repairLedger } from '../ledger/repair';
import { cliConfig } from './args';

const USAGE =
  "usage: offload-worker ledger check|repair\n  check   report the ledger files' integrity; exit 1 on damage\n  repair  rebuild a damaged ledger, keeping the damaged files beside it, and say what was kept and lost\n";

/**
 * `offload-worker ledger check|repair` on the ledger at OFFLOAD_LEDGER (or the default path).
 * check: one line per finding on stdout, exit 0 when sound, 1 when damaged (integrity-check.ts).
 * repair: one line per thing kept, moved aside or lost (repair.ts), then a check of the result;
 * exit 0 when the repaired ledger is sound. `export|import` are not here yet. Exit 2 on usage.
 */
export async function runLedgerCommand(args: string[]): Promise<number> {
  const [sub] = args;
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
