import { parseArgs } from 'node:util';
import { InputError } from '../core/errors';
import { microsToUsd, usdToMicros } from '../core/money';
import { usd } from '../shared/usd';
import { withCliLedger } from './team-ledger';

/**
 * The cap argument of `team set-cap`: `none` clears (null), else USD ≥ 0 as µUSD. Throws
 * InputError naming `<usd|none>`.
 */
function capMicros(raw: string): number | null {
  if (raw.toLowerCase() === 'none') return null;
  const amount = Number(raw.replace(/^\$/, ''));
  if (raw.trim() === '' || !Number.isFinite(amount) || amount < 0)
    throw new InputError(
      '<usd|none>',
      `must be an amount of USD ≥ 0 such as 0.30, or none; got ${JSON.stringify(raw)}`,
    );
  return usdToMicros(amount);
}

/**
 * `offload-worker team set-cap <member> <usd|none>`: sets or clears a member's monthly cap
 * (Ledger.setMemberCap), after which that member alone is refused past it. Exit 0 when set; 1
 * when the ledger refuses (a local file ledger has no member caps: the message names the fix,
 * OFFLOAD_LEDGER=postgres://…; or the database role may not set caps). Throws InputError for a
 * missing member or a bad amount (exit 2 in team-command.ts).
 */
export async function runTeamSetCapCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
  const [member, raw] = positionals;
  if (!member || raw === undefined || positionals.length > 2)
    throw new InputError('set-cap', 'takes a member name and a cap: team set-cap <member> <usd|none>');
  const micros = capMicros(raw);
  try {
    await withCliLedger((ledger) => ledger.setMemberCap(member, micros));
  } catch (err) {
    process.stderr.write(`offload-worker: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(
    `${member}: monthly cap ${micros === null ? 'cleared (the team caps still hold)' : usd(microsToUsd(micros))}\n`,
  );
  return 0;
}
