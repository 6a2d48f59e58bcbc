import { createApp } from '../app';
import { breakerReport } from '../core/breaker-report';
import { cliConfig, hasFlag } from './args';

/**
 * `offload-worker status [--reset | --trip <why>] [--json]`: polls the provider's costs once (when
 * OPENAI_ADMIN_KEY is set; an API error leaves the state as it was and is printed), then prints
 * `TRUE` (breaker open or half-open) or `FALSE` (closed) on the first line and the details after
 * (or the breaker_status JSON with --json). `--reset` closes the breaker, `--trip` opens it by
 * hand, both for every process. Exit code 0 when closed, 1 when tripped.
 */
export async function runStatusCommand(args: string[]): Promise<number> {
  const app = await createApp(cliConfig(), {
    env: process.env,
    pollCosts: false,
    log: (line) => process.stderr.write(`offload: ${line}\n`),
  });
  try {
    const tripAt = args.indexOf('--trip');
    if (hasFlag(args, 'reset')) await app.breaker.reset();
    else if (tripAt >= 0) await app.breaker.trip(args[tripAt + 1] ?? 'tripped by hand from the CLI');
    if (app.breaker.pollsCosts) await app.breaker.pollCosts();
    const view = await app.breaker.status();
    process.stdout.write(
      hasFlag(args, 'json') ? `${JSON.stringify(view, null, 2)}\n` : `${breakerReport(view).join('\n')}\n`,
    );
    return view.tripped ? 1 : 0;
  } finally {
    await app.close();
  }
}
