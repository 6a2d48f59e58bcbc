import { randomUUID } from 'node:crypto';
import type { Config } from './core/config';
import { redact } from './core/redact';
import { usdToMicros } from './core/money';
import { PriceBook } from './core/pricing';
import { createLedgerMeter } from './adapter/ledger-meter';
import { startAdapterServer } from './adapter/server';
import { createUpstream, type Upstream } from './adapter/upstream';
import { openLedger, type SqliteLedger } from './ledger/sqlite-ledger';
import { findClaude } from './jobs/claude-path';
import { JobEngine } from './jobs/engine';
import { JobService } from './jobs/job-service';
import { createClaudeCodeRunner, type AdapterPort } from './jobs/runners/claude-code';
import { createLlmRunner } from './jobs/runners/llm';
import { createWorkspace } from './jobs/workspace';
import { resolveInSandbox } from './jobs/workspace/paths';
import { createMcpServer } from './mcp/server';

/** True when a process with this pid exists (signal 0 probes without signalling). */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a host gives the app: its environment (for child processes) and a log sink. */
export interface AppPorts {
  env: Record<string, string | undefined>;
  log?: (line: string) => void;
  /** Use this ledger instead of opening config.ledgerPath (tests pass an in-memory one). */
  ledger?: SqliteLedger;
}

/** The running app: every host (CLI worker, VS Code extension) builds exactly this. */
export interface App {
  config: Config;
  ledger: SqliteLedger;
  prices: PriceBook;
  engine: JobEngine;
  jobs: JobService;
  /** A fresh MCP server over this app (one per transport session). */
  createMcpServer(): ReturnType<typeof createMcpServer>;
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
  const secrets = () => [config.openaiApiKey, config.fallbackApiKey, config.adapterKey];
  const log = (line: string) => ports.log?.(redact(line, secrets()));
  const caps = { monthlyMicros: usdToMicros(config.monthlyBudgetUsd), dailyMicros: config.dailyBudgetUsd !== undefined ? usdToMicros(config.dailyBudgetUsd) : null };
  const ledger = ports.ledger ?? (await openLedger(config.ledgerPath, { caps }));
  const reclaimed = await ledger.reclaimOrphans(isProcessAlive);
  if (reclaimed) log(`ledger: settled ${reclaimed} reservation(s) left by processes that are gone`);
  const prices = new PriceBook(config.priceOverrides);
  const upstream: Upstream = createUpstream({
    primary: { baseURL: config.openaiBaseUrl, apiKey: config.openaiApiKey ?? 'missing-api-key' },
    fallback: config.fallbackBaseUrl ? { baseURL: config.fallbackBaseUrl, apiKey: config.fallbackApiKey ?? config.openaiApiKey ?? 'missing-api-key' } : undefined,
  });
  const meter = createLedgerMeter(ledger, prices);
  const budgetListeners = new Map<string, (message: string) => void>();
  let adapter: Promise<{ url: string; close(): Promise<void> }> | undefined;
  const startAdapter = (port = 0) => (adapter ??= startAdapterServer({
    port,
    meter,
    upstream,
    perJobTokenLimit: config.perJobTokenLimit,
    log,
    onBudgetExceeded: (jobId: string, err: Error) => budgetListeners.get(jobId)?.(err.message),
  }));
  const adapterPort: AdapterPort = {
    url: async () => (await startAdapter()).url,
    register(job, onBudgetExceeded) {
      budgetListeners.set(job.jobId, onBudgetExceeded);
      return meter.register(job);
    },
    unregister(key) {
      const job = meter.authorize(key);
      if (job) budgetListeners.delete(job.jobId);
      meter.unregister(key);
    },
  };
  const resolvePath = (path: string, field: string) => resolveInSandbox(path, config.sandboxRoots, field);
  const engine = new JobEngine(ledger, { concurrency: config.maxConcurrency, secrets });
  engine.register(createLlmRunner({ config, ledger, prices, resolvePath, chat: (params, signal) => upstream.complete(params, signal) }));
  engine.register(createClaudeCodeRunner({
    config, adapter: adapterPort, workspace: createWorkspace(), resolvePath, baseEnv: ports.env, claudePath: findClaude(config.claudePath),
  }));
  const jobs = new JobService(engine, config, prices, resolvePath);
  return {
    config, ledger, prices, engine, jobs,
    createMcpServer: () => createMcpServer({ jobs, config }),
    adapterUrl: async () => (await startAdapter()).url,
    async serveAdapterSession(key, port) {
      const job = await ledger.createJob({ id: randomUUID(), kind: 'claude-code', model: config.claudeModel, request: { source: 'offload-worker adapter' }, status: 'running' });
      meter.register({ jobId: job.id, model: config.claudeModel, escalateModel: config.escalateModel }, key);
      return { url: (await startAdapter(port)).url, jobId: job.id };
    },
    async close() {
      for (const job of await ledger.listJobs(100)) if (job.status === 'running' || job.status === 'queued') await engine.cancel(job.id);
      await engine.idle();
      if (adapter) await (await adapter).close();
      await ledger.close();
    },
  };
}
