import { randomUUID } from 'node:crypto';
import type { Approver } from './core/approval';
import { ConfigError, type Config } from './core/config';
import { childEnv } from './core/child-env';
import { attachReceipt } from './core/savings';
import type { Usage } from './core/usage';
import { configSecrets, redact } from './core/redact';
import { assertNotSecretFile } from './core/secret-files';
import { capsOf } from './core/budget';
import { batchPriceOf } from './core/batch-price';
import { PriceBook } from './core/pricing';
import { createAnthropicGateway } from './adapter/anthropic-gateway';
import { createLedgerMeter } from './adapter/ledger-meter';
import { createMetricsFile, NO_METRICS } from './adapter/metrics';
import { startAdapterServer } from './adapter/server';
import { createUpstream, type Upstream } from './adapter/upstream';
import { openLedgerFromConfig } from './ledger/open-ledger-from-config';
import { processAlive, type HostLedger } from './ledger/sqlite-ledger';
import { findClaude } from './jobs/claude-path';
import { BreakerService } from './jobs/breaker-service';
import { JobEngine } from './jobs/engine';
import { jobLogDir, pruneJobLogs } from './jobs/job-log-file';
import { JobService } from './jobs/job-service';
import { sweepExpired } from './jobs/undo';
import { createClaudeCodeRunner, type AdapterPort } from './jobs/runners/claude-code';
import { createAnalyzeRunner } from './jobs/runners/analyze';
import { createLlmRunner, llmPrompt } from './jobs/runners/llm';
import { createBatchClient } from './adapter/batch-client';
import { ProviderBatches } from './jobs/provider-batch';
import { startAdoptionSweep } from './jobs/waiting-adoption';

import { createWorkspace } from './jobs/workspace';
import { resolveInSandbox } from './jobs/workspace/paths';
import { displayPath } from './jobs/workspace/collect-files';
import type { ChatCall } from './jobs/runners/metered-chat';
import { createMcpServer } from './mcp/server';
import type { Timers } from './core/timers';
import type { ToolDeps } from './mcp/deps';

/** Timeout of one Batch API request (upload, create, poll, results), ms: a results file can be large. */
const BATCH_REQUEST_TIMEOUT_MS = 120_000;

// Hosts connect the app to I/O through these (src/vscode may import only app, core and shared).
export { serveMcpHttp, type McpHttpServer, type McpHttpRequestRecord } from './mcp/transports/http';
export { TOOLS_VERSION } from './mcp/tools';

/** What a host gives the app: its environment (for child processes) and a log sink. */
export interface AppPorts {
  env: Record<string, string | undefined>;
  log?: (line: string) => void;
  /** Use this ledger instead of opening the config's (openLedgerFromConfig; tests pass an in-memory one). */
  ledger?: HostLedger;
  /** Poll the provider's costs every BREAKER_POLL_MS when OPENAI_ADMIN_KEY is set (default true; `status` polls once itself). */
  pollCosts?: boolean;
  /**
   * Take up jobs that dead processes left waiting for their off-peak start, at start and every minute
   * (jobs/waiting-adoption.ts). Only hosts that stay up and serve the MCP tools set it (the MCP worker,
   * VS Code): a short command would adopt a job only to cancel it as it closes. Default false.
   */
  adoptWaiting?: boolean;
  /**
   * The host's own way to ask about a job that needs approval (VS Code: a notification or the jobs panel), used by
   * `run_job` when the MCP client cannot elicit. Order: elicitation, this, else rejection.
   */
  approve?: Approver;
  /** More secrets the host knows (the extension's MCP bearer token, SecretStorage keys): redacted everywhere, never given to a child. */
  secrets?: () => readonly (string | undefined)[];
  /** The clock and timers the engine runs on: `wait` timeouts and off-peak starts (default globalThis; tests pass a fake clock). */
  timers?: Timers;
}

/** The running app: every host (CLI worker, VS Code extension) builds exactly this. */
export interface App {
  config: Config;
  ledger: HostLedger;
  prices: PriceBook;
  engine: JobEngine;
  jobs: JobService;
  /** The circuit breaker (state in the ledger, shared by every process). */
  breaker: BreakerService;
  /**
   * A fresh MCP server over this app (one per transport session). `jobLink` (ToolDeps.jobLink) adds
   * the host's "open this job" link (`panel_link`) to every job result; the CLI's servers pass none.
   */
  createMcpServer(options?: Pick<ToolDeps, 'jobLink'>): ReturnType<typeof createMcpServer>;
  /** The adapter's URL, starting it on first use. */
  adapterUrl(): Promise<string>;
  /**
   * For `offload-worker adapter`: starts the adapter (on `port`, 0 = any) and meters every call
   * made with `key` to one ledger job, "adapter session", until close.
   */
  serveAdapterSession(key: string, port: number): Promise<{ url: string; jobId: string }>;
  close(): Promise<void>;
}

/**
 * The composition root (DESIGN.md, "Shape"): opens the shared ledger, builds the price book,
 * the upstream client, the lazily started adapter with its per-job metering, the job engine with
 * its runners, and the MCP server factory. Throws when the ledger cannot be opened (fail closed).
 */
export async function createApp(config: Config, ports: AppPorts): Promise<App> {
  // Every configured secret (README, Security): provider, fallback and admin keys, the MCP token,
  // the standalone adapter key and every per-job adapter key issued by this process.
  const issuedKeys = new Set<string>();
  const secrets = () => [...configSecrets(config), ...(ports.secrets?.() ?? []), ...issuedKeys];
  const log = (line: string) => ports.log?.(redact(line, secrets()));
  const caps = capsOf(config);
  const breakerPolicy = {
    velocityPct: config.breakerVelocityPct,
    velocityWindowMs: config.breakerVelocityWindowMs,
    failureThreshold: config.breakerFailures,
    cooldownMs: config.breakerCooldownMs,
  };
  if (!config.useOpenaiAdapter && !config.anthropicBaseUrl) {
    throw new ConfigError(
      "USE_OPENAI_ADAPTER=0 passes Claude Code's requests to a gateway that speaks Anthropic Messages itself: set ANTHROPIC_BASE_URL to it (e.g. https://api.deepseek.com/anthropic), or remove USE_OPENAI_ADAPTER",
    );
  }
  const prices = new PriceBook(config.priceOverrides);
  if (!prices.has(config.savingsReferenceModel)) {
    throw new ConfigError(
      `SAVINGS_REFERENCE_MODEL (offload.savingsReferenceModel): no price is known for "${config.savingsReferenceModel}"; use a model from the price table such as claude-sonnet-5, or add it to OFFLOAD_PRICES`,
    );
  }
  const ledger =
    ports.ledger ??
    (await openLedgerFromConfig(config, {
      caps,
      breaker: breakerPolicy,
      warnThresholds: config.warnThresholds,
      maxInFlight: config.maxConcurrency,
    }));
  const reclaimed = await ledger.reclaimOrphans(processAlive);
  if (reclaimed) log(`ledger: settled ${reclaimed} reservation(s) left by processes that are gone`);
  const expired = await sweepExpired(ledger, config.retentionDays, log).catch((err: unknown) => {
    log(`retention: ${String(err)}`);
    return 0;
  });
  if (expired)
    log(
      `retention: removed the worktrees and shadow folders of ${expired} job(s) older than ${config.retentionDays} days`,
    );
  const breaker = new BreakerService({
    ledger,
    failureThreshold: config.breakerFailures,
    cooldownMs: config.breakerCooldownMs,
    log,
    costs: config.openaiAdminKey
      ? {
          url: config.breakerCostsUrl,
          adminKey: config.openaiAdminKey,
          rule: config.breakerCostRule,
          driftUsd: config.breakerDriftUsd,
        }
      : undefined,
  });
  const stopPolling = ports.pollCosts === false ? () => undefined : breaker.startPolling(config.breakerPollMs);
  const upstream: Upstream = breaker.guard(
    createUpstream({
      primary: { baseURL: config.openaiBaseUrl, apiKey: config.openaiApiKey ?? 'missing-api-key' },
      fallback: config.fallbackBaseUrl
        ? { baseURL: config.fallbackBaseUrl, apiKey: config.fallbackApiKey ?? config.openaiApiKey ?? 'missing-api-key' }
        : undefined,
    }),
  );
  const meter = createLedgerMeter(ledger, prices);
  // WORKER_METRICS_FILE: one sink for every paid call, the adapter's (agent jobs) and the runners' (run_job, queue_batch, analyze).
  const metrics = config.metricsFile ? createMetricsFile(config.metricsFile, { secrets, log }) : NO_METRICS;
  const budgetListeners = new Map<string, (message: string) => void>();
  let adapter: Promise<{ url: string; close(): Promise<void> }> | undefined;
  const startAdapter = (port = 0) =>
    (adapter ??= startAdapterServer({
      port,
      meter,
      upstream,
      perJobTokenLimit: config.perJobTokenLimit,
      log,
      metrics,
      // USE_OPENAI_ADAPTER=0: Anthropic requests pass through to ANTHROPIC_BASE_URL with the gateway key, metered the same way.
      anthropicGateway: config.useOpenaiAdapter
        ? undefined
        : breaker.guardGateway(
            createAnthropicGateway({
              baseURL: config.anthropicBaseUrl!,
              apiKey: config.openaiApiKey ?? 'missing-api-key',
            }),
          ),
      secrets,
      onBudgetExceeded: (jobId: string, err: Error) => budgetListeners.get(jobId)?.(err.message),
    }));
  const adapterPort: AdapterPort = {
    url: async () => (await startAdapter()).url,
    register(job, onBudgetExceeded) {
      budgetListeners.set(job.jobId, onBudgetExceeded);
      const key = meter.register(job);
      issuedKeys.add(key);
      return key;
    },
    unregister(key) {
      const job = meter.authorize(key);
      if (job) budgetListeners.delete(job.jobId);
      meter.unregister(key);
    },
  };
  const resolvePath = async (path: string, field: string) => {
    const real = await resolveInSandbox(path, config.sandboxRoots, field);
    assertNotSecretFile(displayPath(real, config.sandboxRoots), field, config.readSecretFiles);
    return real;
  };
  const chat: ChatCall = (params, signal, hooks) => upstream.complete(params, signal, hooks);
  // Job logs beside the ledger file, so every process sharing it can tail every job (none for a ledger the host passed in).
  const logDir = ports.ledger ? undefined : jobLogDir(config.ledgerPath);
  if (logDir) pruneJobLogs(logDir, config.retentionDays * 86_400_000, Date.now()); // OFFLOAD_RETENTION_DAYS, like worktrees and shadow folders
  const receipt = (shaped: object, job: { usage: Usage; costMicros: number }, transcriptBytes: number) =>
    attachReceipt(
      shaped,
      { transcriptBytes, usage: job.usage, costMicros: job.costMicros, referenceModel: config.savingsReferenceModel },
      prices,
    ).savings;
  // queue_batch mode "batch": the provider's Batch API on the primary gateway, at that gateway's batch price (core/batch-price.ts).
  const batchClient = createBatchClient({
    baseURL: config.openaiBaseUrl,
    apiKey: config.openaiApiKey ?? 'missing-api-key',
    timeoutMs: BATCH_REQUEST_TIMEOUT_MS,
  });
  const batches = new ProviderBatches({
    ledger,
    prices,
    client: batchClient,
    multiplier: batchPriceOf({ name: 'primary', baseUrl: config.openaiBaseUrl }, config).multiplier,
    pollMs: config.batchPollMs,
    timers: ports.timers ?? globalThis,
    secrets,
    prompt: (request) => llmPrompt({ config, resolvePath }, request),
  });
  const engine = new JobEngine(ledger, {
    concurrency: config.maxConcurrency,
    secrets,
    logDir,
    receipt,
    timers: ports.timers,
    cancelOutside: (jobId) => batches.cancel(jobId),
  });
  // Every prompt of run_job, queue_batch and analyze goes out redacted (metered-chat.ts; the adapter does the same for agent jobs).
  const checkEnv = () => childEnv(ports.env, { extraNames: config.childEnv, secrets: secrets() });
  const workspace = createWorkspace(checkEnv);
  engine.register(createLlmRunner({ config, ledger, prices, resolvePath, chat, secrets, metrics, workspace }));
  engine.register(createAnalyzeRunner({ config, ledger, prices, chat, secrets, metrics }));
  engine.register(
    createClaudeCodeRunner({
      config,
      adapter: adapterPort,
      workspace,
      resolvePath,
      baseEnv: ports.env,
      secrets,
      claudePath: findClaude(config.claudePath),
    }),
  );
  const jobs = new JobService(engine, config, prices, resolvePath, batches);
  // Jobs a dead process left waiting for their off-peak start: taken up here, now and every minute (waiting-adoption.ts).
  const adoption = ports.adoptWaiting
    ? startAdoptionSweep({ ledger, engine, isAlive: processAlive, timers: ports.timers ?? globalThis, log })
    : undefined;
  await adoption?.first;
  // Provider batches another process sent and no longer follows (it exited): taken up here.
  batches.resume().then(
    (n) => {
      if (n) log(`provider batches: following ${n} batch(es) left by a process that stopped`);
    },
    (err: unknown) => log(`provider batches: resume failed: ${String(err)}`),
  );
  return {
    config,
    ledger,
    prices,
    engine,
    jobs,
    breaker,
    createMcpServer: (options) =>
      createMcpServer({ jobs, config, breaker, approve: ports.approve, jobLink: options?.jobLink }),
    adapterUrl: async () => (await startAdapter()).url,
    async serveAdapterSession(key, port) {
      const job = await ledger.createJob({
        id: randomUUID(),
        kind: 'claude-code',
        model: config.claudeModel,
        request: { source: 'offload-worker adapter' },
        status: 'running',
      });
      meter.register({ jobId: job.id, model: config.claudeModel, escalateModel: config.escalateModel }, key);
      issuedKeys.add(key);
      return { url: (await startAdapter(port)).url, jobId: job.id };
    },
    async close() {
      stopPolling();
      adoption?.stop();
      batches.close();
      batchClient.close();
      await engine.cancelAll();
      await engine.idle();
      engine.stopWatching();
      if (adapter) await (await adapter).close();
      await metrics.flush();
      await ledger.close();
    },
  };
}

/** git plumbing for the extension's read-only `offload-job:` documents (src/vscode/job-content.ts). */
export { git as runGit, envOf as gitEnvOf } from './jobs/workspace/git';
