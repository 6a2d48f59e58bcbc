/** What the team ledger's caps still admit (Ledger.budgetLeft), from the admission counters (scopes.ts). */
import { remainingMicros } from '../../core/budget';
import type { BudgetLeft, LedgerCaps } from '../ledger';
import type { Q } from './breaker';
import { memberMonthKey, scopeUsage, teamDayKey, teamMonthKey } from './scopes';

/**
 * The µUSD a new reservation could take at `nowMs`: the effective team caps (`caps`: the team row's
 * caps tightened by the process's) less what the team month and day counters hold settled and
 * reserved; the month is tightened further by `memberCapMicros` (the member's own cap, null for
 * none) less the member's month counter, and then `memberCapped` names the member. Never below 0.
 */
export async function pgBudgetLeft(
  c: Q,
  o: { caps: LedgerCaps; member: string; memberCapMicros: number | null; nowMs: number },
): Promise<BudgetLeft> {
  const left = async (
    cap: 'monthly' | 'daily' | 'member',
    limitMicros: number,
    key: Parameters<typeof scopeUsage>[1],
  ) => {
    const u = await scopeUsage(c, key);
    return remainingMicros({ cap, limitMicros, settledMicros: u.settled, reservedMicros: u.reserved });
  };
  const team = await left('monthly', o.caps.monthlyMicros, teamMonthKey(o.nowMs));
  const member =
    o.memberCapMicros === null ? null : await left('member', o.memberCapMicros, memberMonthKey(o.member, o.nowMs));
  const daily = o.caps.dailyMicros === null ? null : await left('daily', o.caps.dailyMicros, teamDayKey(o.nowMs));
  if (member !== null && member < team) return { monthlyMicros: member, dailyMicros: daily, memberCapped: o.member };
  return { monthlyMicros: team, dailyMicros: daily };
}
