import { parseArgs } from 'node:util';
import { InputError } from '../core/errors';
import { TEAM_LEDGER_FIX } from '../core/ledger-url';
import { microsToUsd, usdToMicros } from '../core/money';
import { usd } from '../shared/usd';
import type { Ledger } from '../ledger/ledger';
import type { TeamLedger } from '../ledger/postgres/team-ledger';
import type { TeamCaps } from '../ledger/postgres/team-caps';
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

/** The ledger as a team ledger (setTeamCaps, setAdminKey), or an Error naming the fix (OFFLOAD_LEDGER=postgres://…). */
export function asTeamLedger(ledger: Ledger): TeamLedger {
  if (!('setTeamCaps' in ledger))
    throw new Error(
      `team caps and the admin key need a team ledger: ${TEAM_LEDGER_FIX} (the local file ledger has one user)`,
    );
  return ledger as TeamLedger;
}

/**
 * `offload-worker team set-cap <member> <usd|none>`: sets or clears a member's monthly cap
 * (Ledger.setMemberCap), after which that member alone is refused past it.
 * `offload-worker team set-cap --team <usd|none> [--daily <usd|none>]`: sets the team's monthly
 * cap and daily cap (TeamLedger.setTeamCaps; without --daily the stored daily cap stays).
 * Either needs an admin (ledger/postgres/admin.ts). Exit 0 when set. Throws what the ledger throws
 * when it refuses (a local file ledger has no member or team caps: the message names
 * OFFLOAD_LEDGER=postgres://…; or this process is no admin: the message names GRANT offload_admin
 * and OFFLOAD_TEAM_ADMIN_KEY), which team-command.ts prints (exit 1), and InputError for missing
 * arguments or a bad amount (exit 2 there).
 */
export async function runTeamSetCapCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    options: { team: { type: 'string' }, daily: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.team !== undefined || values.daily !== undefined) return setTeamCaps(values, positionals);
  const [member, raw] = positionals;
  if (!member || raw === undefined || positionals.length > 2)
    throw new InputError('set-cap', 'takes a member name and a cap: team set-cap <member> <usd|none>');
  const micros = capMicros(raw);
  await withCliLedger((ledger) => ledger.setMemberCap(member, micros));
  process.stdout.write(
    `${member}: monthly cap ${micros === null ? 'cleared (the team caps still hold)' : usd(microsToUsd(micros))}\n`,
  );
  return 0;
}

/** `set-cap --team <usd|none> [--daily <usd|none>]`: the team's caps; exit 0 set (a refusal throws, as above). */
async function setTeamCaps(values: { team?: string; daily?: string }, positionals: string[]): Promise<number> {
  if (values.team === undefined || positionals.length > 0)
    throw new InputError('set-cap', 'for the team takes: team set-cap --team <usd|none> [--daily <usd|none>]');
  const monthly = capMicros(values.team);
  const daily = values.daily === undefined ? undefined : capMicros(values.daily);
  const show = (m: number | null) => (m === null ? 'none' : usd(microsToUsd(m)));
  const stored = await withCliLedger(async (ledger) => {
    const team = asTeamLedger(ledger);
    const caps: TeamCaps = {
      monthlyMicros: monthly,
      dailyMicros: daily === undefined ? (await team.teamCaps()).dailyMicros : daily,
    };
    await team.setTeamCaps(caps);
    return caps;
  });
  process.stdout.write(`team: monthly cap ${show(stored.monthlyMicros)}, daily cap ${show(stored.dailyMicros)}\n`);
  return 0;
}
