import { parseArgs } from 'node:util';
import { usd } from '../shared/usd';
import { withCliLedger } from './team-ledger';
import { textTable } from './text-table';

/**
 * `offload-worker team members [--json]`: every member of the ledger (Ledger.listMembers) as a
 * table — member, cap (USD or none), month spend and reserved (USD), jobs, last seen (UTC, to the
 * minute), machines — or the MemberRecord list as JSON. Exit 0; 2 on a usage error (thrown by
 * parseArgs, handled in team-command.ts).
 */
export async function runTeamMembersCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true });
  const members = await withCliLedger((ledger) => ledger.listMembers());
  if (values.json) {
    process.stdout.write(`${JSON.stringify(members, null, 2)}\n`);
    return 0;
  }
  if (members.length === 0) {
    process.stdout.write('no member has a job or a model call in this ledger yet\n');
    return 0;
  }
  const rows = members.map((m) => [
    m.member,
    m.monthly_cap === null ? 'none' : usd(m.monthly_cap),
    usd(m.current_month),
    usd(m.reserved),
    String(m.jobs),
    m.last_seen ? `${m.last_seen.slice(0, 16).replace('T', ' ')}Z` : '-',
    m.machines.join(', '),
  ]);
  const header = ['member', 'cap', 'month spend', 'reserved', 'jobs', 'last seen', 'machines'];
  process.stdout.write(`${textTable(header, rows).join('\n')}\n`);
  return 0;
}
