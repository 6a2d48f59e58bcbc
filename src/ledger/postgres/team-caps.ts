import type { LedgerCaps } from '../ledger';

/** The team's caps as an admin stored them in the `team` row, µUSD; null: none set there. */
export interface TeamCaps {
  monthlyMicros: number | null;
  dailyMicros: number | null;
}

/**
 * The caps a team ledger enforces, µUSD (the rule, once): the team row's caps (in the database,
 * set by an admin) tightened by this process's configured caps (LedgerOptions.caps, from
 * MONTHLY_BUDGET / DAILY_BUDGET). A member's local setting can only lower the team's caps, never
 * raise them; where the team row sets no cap, the local one holds alone.
 */
export function effectiveCaps(local: LedgerCaps, team: TeamCaps): LedgerCaps {
  const tighter = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
  return {
    monthlyMicros: tighter(local.monthlyMicros, team.monthlyMicros)!,
    dailyMicros: tighter(local.dailyMicros, team.dailyMicros),
  };
}
