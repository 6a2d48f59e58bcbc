import { dirname, join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createDemoRepo, removeDemoRepo } from '../../src/cli/demo-repo';
import { toolJson } from './app-fixture';
import { startScriptedGateway, type Script, type ScriptedGateway } from './scripted-gateway';
import { connectWorker } from './worker-client';

/** A built worker over stdio, a scripted gateway (stand-in for the model provider) and a fresh demo repo. */
export interface DemoWorker {
  client: Client;
  gateway: ScriptedGateway;
  /** The demo project's git repo; its parent is the sandbox root and holds the ledger. */
  repo: string;
}

/**
 * Runs `fn` against `node dist/worker.js mcp` wired to a scripted gateway playing `script`, with a
 * temporary ledger beside a fresh demo repo; closes both afterwards and removes the repo, its
 * ledger and any worktree made from it, whatever happens.
 */
export async function withDemoWorker(
  script: Script,
  env: Record<string, string>,
  fn: (w: DemoWorker) => Promise<void>,
): Promise<void> {
  const gateway = await startScriptedGateway({ script });
  const repo = createDemoRepo();
  try {
    const { client } = await connectWorker({
      OPENAI_BASE_URL: gateway.url,
      OPENAI_API_KEY: 'scripted-key',
      OFFLOAD_LEDGER: join(dirname(repo), 'ledger.sqlite'),
      SANDBOX_ROOT: dirname(repo),
      ...env,
    });
    try {
      await fn({ client, gateway, repo });
    } finally {
      await client.close();
    }
  } finally {
    await gateway.close();
    removeDemoRepo(repo);
  }
}

/** Calls `wait` until the job is terminal; returns its compact result. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function waitDone(client: Client, jobId: string): Promise<Record<string, any>> {
  for (;;) {
    const r = toolJson(
      await client.callTool({ name: 'wait', arguments: { job_id: jobId, timeout_ms: 20_000 } }, undefined, {
        timeout: 60_000,
      }),
    );
    if (r.job_status !== 'running' && r.job_status !== 'queued') return r;
  }
}

/** Calls `start` and waits for the job to end. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function startAndWait(client: Client, args: Record<string, unknown>): Promise<Record<string, any>> {
  const started = toolJson(await client.callTool({ name: 'start', arguments: args }));
  return waitDone(client, started.job_id);
}
