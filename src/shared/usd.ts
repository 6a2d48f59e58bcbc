/**
 * The one way Offload shows money (status bar, panel, sidebar, messages, CLI output). Amounts are
 * USD floats here, converted from the ledger's integer µUSD for display only (DESIGN.md, money rules).
 */

/**
 * `$19.77`: two decimals. A non-zero amount under a cent keeps its digits, since cheap models cost
 * fractions of a cent: `$0.0042`, or `$0.000012` when four decimals would show nothing.
 * `floor: true` shows whole cents rounded down (never negative), for money that is left: the
 * status bar never promises money that is not there.
 */
export function usd(amount: number, opts: { floor?: boolean } = {}): string {
  if (opts.floor) return `$${(Math.floor(Math.max(0, amount) * 100 + 1e-6) / 100).toFixed(2)}`;
  const abs = Math.abs(amount);
  if (abs === 0 || abs >= 0.005) return `$${amount.toFixed(2)}`;
  const four = amount.toFixed(4);
  return `$${Number(four) !== 0 ? four : amount.toFixed(6)}`;
}
