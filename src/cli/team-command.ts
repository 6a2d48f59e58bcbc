import { ConfigError } from '../core/config';
import { isUsageError } from './args';
import { runTeamAdminKeyCommand } from './team-admin-key-command';
import { runTeamMembersCommand } from './team-members-command';
import { runTeamSetCapCommand } from './team-set-cap-command';
import { runTeamSpendCommand } from './team-spend-command';

const USAGE = `usage: offload-worker team members|spend|set-cap|admin-key
  members [--json]              every member: cap, month spend, reserved, jobs, last seen, machines
  spend --by member [--json]    this month's settled spend per member, and the team's
  set-cap <member> <usd|none>   set or clear a member's monthly cap (needs a team ledger: OFFLOAD_LEDGER=postgres://…)
  set-cap --team <usd|none> [--daily <usd|none>]
                                set the team's monthly (and daily) cap; set-cap needs an admin role or OFFLOAD_TEAM_ADMIN_KEY
  admin-key set                 store OFFLOAD_TEAM_ADMIN_KEY's hash (or a new key, printed once); needs an admin role
`;

const SUBCOMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  members: runTeamMembersCommand,
  spend: runTeamSpendCommand,
  'set-cap': runTeamSetCapCommand,
  'admin-key': runTeamAdminKeyCommand,
};

/**
 * `offload-worker team <members|spend|set-cap|admin-key>` on the ledger OFFLOAD_LEDGER names (issue 16;
 * members and spend read a local file ledger too). Exit 2 with the usage on a usage error, 1 when
 * the ledger cannot be opened or refuses (the message says why); a ConfigError goes to main (exit 2).
 */
export async function runTeamCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const run = sub ? SUBCOMMANDS[sub] : undefined;
  if (!run) {
    process.stderr.write(USAGE);
    return 2;
  }
  try {
    return await run(rest);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (isUsageError(err)) {
      process.stderr.write(`offload-worker team ${sub}: ${err.message}\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`offload-worker: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
