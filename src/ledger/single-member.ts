/** The member figures of a ledger that has one member (the local sql.js file): theirs are the ledger's. */
import { assertMicros } from '../core/money';
import type { Identity, MemberRecord, SpendStats } from './ledger';

/** `team` with its `member` and `by_member` filled for a one-member ledger (no member cap). */
export function withSingleMember(team: Omit<SpendStats, 'member' | 'by_member'>, who: Identity): SpendStats {
  const calls = Object.values(team.by_model).reduce((n, m) => n + m.calls, 0);
  return {
    ...team,
    member: {
      name: who.member,
      current_month: team.current_month,
      today: team.today,
      reserved: team.reserved,
      monthly_cap: null,
      remaining: null,
    },
    by_member: calls ? { [who.member]: { cost_usd: team.current_month, calls } } : {},
  };
}

/** The one member of a one-member ledger (none before its first job). */
export function singleMemberList(s: SpendStats, who: Identity): MemberRecord[] {
  if (s.jobs.total === 0) return [];
  return [
    {
      member: who.member,
      monthly_cap: null,
      current_month: s.current_month,
      reserved: s.reserved,
      jobs: s.jobs.total,
      last_seen: null,
      machines: [who.machine],
    },
  ];
}

/** setMemberCap of a one-member ledger: rejects with RangeError for a cap that is not integer µUSD ≥ 0, else with Error naming the fix. */
export function refuseMemberCap(monthlyMicros: number | null): Promise<void> {
  return Promise.resolve().then(() => {
    if (monthlyMicros !== null) assertMicros(monthlyMicros, 'monthlyMicros');
    throw new Error(
      'member caps need a team ledger (OFFLOAD_LEDGER=postgres://…); a local sql.js ledger has one member',
    );
  });
}
