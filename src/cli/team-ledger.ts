import { capsOf } from '../core/budget';
import type { Ledger } from '../ledger/ledger';
import { openLedgerFromConfig } from '../ledger/open-ledger-from-config';
import { cliConfig } from './args';

/**
 * Runs `fn` on the ledger the CLI's config names (OFFLOAD_LEDGER: the team ledger or the local
 * file; OFFLOAD_MEMBER/OFFLOAD_MACHINE as its identity), closing it afterwards. Throws
 * ConfigError for a bad config and what openLedgerFromConfig throws.
 */
export async function withCliLedger<T>(fn: (ledger: Ledger) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const ledger = await openLedgerFromConfig(config, { caps: capsOf(config) });
  try {
    return await fn(ledger);
  } finally {
    await ledger.close();
  }
}
