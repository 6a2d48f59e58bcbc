import { parseArgs } from 'node:util';
import { InputError } from '../core/errors';
import { microsToUsd, usdToMicros } from '../core/money';
import { usd } from '../shared/usd';
import { withCliLedger } from './team-ledger';
import { textTable } from './text-table';

/**
 * `offload-worker team spend --by member [--json]`: this UTC month's settled spend per member
 * (SpendStats.by_member), most first, with calls and share of the team's month; spend settled
 * before attribution (schema 11) has no member and shows as its own line; then the team's total.
 * `--by` takes only `member` (the default). With --json: `{month, current_month, by_member,
 * unattributed_usd}`. Throws InputError for another `--by` (exit 2 in team-command.ts).
 */
export async function runTeamSpendCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { by: { type: 'string', default: 'member' }, json: { type: 'boolean' } },
    strict: true,
  });
  if (values.by !== 'member') throw new InputError('--by', `groups only by member, got ${JSON.stringify(values.by)}`);
  const stats = await withCliLedger((ledger) => ledger.spendStats());
  const entries = Object.entries(stats.by_member).sort(
    ([a, x], [b, y]) => y.cost_usd - x.cost_usd || a.localeCompare(b),
  );
  const attributed = entries.reduce((sum, [, m]) => sum + usdToMicros(m.cost_usd), 0);
  const unattributed = microsToUsd(Math.max(0, usdToMicros(stats.current_month) - attributed));
  if (values.json) {
    const out = { month: stats.month, current_month: stats.current_month, by_member: stats.by_member };
    process.stdout.write(`${JSON.stringify({ ...out, unattributed_usd: unattributed }, null, 2)}\n`);
    return 0;
  }
  const share = (amount: number) =>
    stats.current_month > 0 ? `${((amount / stats.current_month) * 100).toFixed(1)}%` : '-';
  const rows = entries.map(([name, m]) => [name, usd(m.cost_usd), String(m.calls), share(m.cost_usd)]);
  if (unattributed > 0) rows.push(['(before attribution)', usd(unattributed), '', share(unattributed)]);
  rows.push(['team', usd(stats.current_month), '', stats.current_month > 0 ? '100.0%' : '-']);
  process.stdout.write(`${stats.month}\n${textTable(['member', 'spend', 'calls', 'share'], rows).join('\n')}\n`);
  return 0;
}
