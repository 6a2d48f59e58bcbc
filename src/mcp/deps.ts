import type { Approver } from '../core/approval';
import type { Config } from '../core/config';
import type { BreakerService } from '../jobs/breaker-service';
import type { JobService } from '../jobs/job-service';

/** What the MCP tools need: the job service (and through it the engine and the ledger), the config and the breaker. */
export interface ToolDeps {
  jobs: JobService;
  config: Config;
  /** The circuit breaker (breaker_status); hosts without one pass none and the tool says so. */
  breaker?: BreakerService;
  /** The host's approver (VS Code: a notification or the jobs panel) for clients without MCP elicitation; the CLI has none. */
  approve?: Approver;
  /**
   * The link a job's result carries (`panel_link`) so the user can open the job in the host's UI,
   * from the job id (VS Code's own MCP server: a URI-handler link to the jobs panel,
   * src/vscode/chat-link.ts). Hosts without one (the stdio worker, `mcp --http`) pass none.
   */
  jobLink?: (jobId: string) => string;
}
