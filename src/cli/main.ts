import { ConfigError } from '../core/config';
import { runAdapterCommand } from './adapter-command';
import { runDemoCommand } from './demo-command';
import { runDoctorCommand } from './doctor-command';
import { runLedgerCommand } from './ledger-command';
import { runMcpCommand } from './mcp-command';
import { runSmokeCommand } from './smoke-command';
import { runSpendCommand } from './spend-command';
import { runStatusCommand } from './status-command';
import { runStatusServerCommand } from './status-server-command';
import { runTeamCommand } from './team-command';
import { undoCommand } from './undo-command';

/** `offload-worker <command>`: the worker CLI (DESIGN.md lists the commands). */
const COMMANDS: Record<string, { summary: string; run: (args: string[]) => Promise<number> }> = {
  mcp: { summary: 'serve the MCP tools over stdio (--http --port N for Streamable HTTP)', run: runMcpCommand },
  adapter: { summary: 'run the Anthropic→OpenAI adapter alone (--port N)', run: runAdapterCommand },
  spend: { summary: "print this month's spend from the ledger", run: runSpendCommand },
  status: {
    summary:
      'TRUE/FALSE: is the circuit breaker tripped, then details (--reset, --trip <why>, --json); exit 1 when tripped',
    run: runStatusCommand,
  },
  'status-server': {
    summary: 'answer STATUS\\n with TRUE/FALSE on 127.0.0.1 (--port 5555)',
    run: runStatusServerCommand,
  },
  doctor: { summary: 'check configuration, ledger, Claude Code (--network: the gateway too)', run: runDoctorCommand },
  smoke: { summary: 'one tiny paid call through the configured gateway and the ledger', run: runSmokeCommand },
  ledger: {
    summary:
      "check: report the ledger files' integrity (exit 1 on damage); repair: rebuild a damaged ledger, keeping the damaged files",
    run: runLedgerCommand,
  },
  team: {
    summary:
      "members: every member's cap, spend, jobs and machines; spend --by member; set-cap <member> <usd|none> (a team ledger)",
    run: runTeamCommand,
  },
  apply: {
    summary: "bring an ended job's changes into the checkout (three-way); refuses on conflict: apply <job_id>",
    run: undoCommand('apply'),
  },
  discard: {
    summary: 'restore the pre-job state of an ended job, remove its worktree and branch: discard <job_id> [--force]',
    run: undoCommand('discard'),
  },
  demo: {
    summary: 'delegate a real coding job end to end (scripted gateway when no API key is set)',
    run: runDemoCommand,
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`);
  return `usage: offload-worker <command> [options]\n\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`offload-worker: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`offload-worker: ${err.message}\n`);
    else process.stderr.write(`offload-worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = err instanceof ConfigError ? 2 : 1;
  },
);
