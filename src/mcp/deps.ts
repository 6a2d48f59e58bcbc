import type { Config } from '../core/config';
import type { JobService } from '../jobs/job-service';

/** What the MCP tools need: the job service (and through it the engine and the ledger) and the config. */
export interface ToolDeps {
  jobs: JobService;
  config: Config;
}
