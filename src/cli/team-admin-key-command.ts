import { parseArgs } from 'node:util';
import { InputError } from '../core/errors';
import { newAdminKey } from '../ledger/postgres/admin';
import { cliConfig } from './args';
import { withCliLedger } from './team-ledger';
import { asTeamLedger } from './team-set-cap-command';

/**
 * `offload-worker team admin-key set`: stores the salted hash of the team admin key in the team
 * ledger (TeamLedger.setAdminKey), run by a database admin (superuser, the database's owner or a
 * member of offload_admin). The key is OFFLOAD_TEAM_ADMIN_KEY when set; else a new random one,
 * printed once on stdout (give it to whoever sets caps as OFFLOAD_TEAM_ADMIN_KEY). Setting it
 * replaces the old key. Exit 0 when stored. A refusal (no team ledger, or not a database admin:
 * holding the old key does not allow replacing it) throws, and team-command.ts prints it (exit 1);
 * InputError for another subcommand (exit 2 there).
 */
export async function runTeamAdminKeyCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
  if (positionals.length !== 1 || positionals[0] !== 'set')
    throw new InputError('admin-key', 'takes one subcommand: team admin-key set');
  const given = cliConfig().teamAdminKey;
  const key = given ?? newAdminKey();
  await withCliLedger((ledger) => asTeamLedger(ledger).setAdminKey(key));
  if (given) process.stdout.write('team admin key stored (OFFLOAD_TEAM_ADMIN_KEY; the database keeps only its hash)\n');
  else process.stdout.write(`${key}\n`);
  if (!given)
    process.stderr.write('offload-worker: a new team admin key (above) is stored; it is shown only this once\n');
  return 0;
}
