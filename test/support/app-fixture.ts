import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createApp, type App, type AppPorts } from '../../src/app';
import { parseConfig, type ConfigInput } from '../../src/core/config';
import { openMemoryLedger } from '../../src/ledger/sqlite-ledger';
import { startScriptedGateway, type Script, type ScriptedGateway } from './scripted-gateway';

/** A real app (in-memory ledger) on a scripted gateway, with an MCP client linked in memory. */
export interface AppFixture {
  app: App;
  client: Client;
  gateway: ScriptedGateway;
  sandbox: string;
  close(): Promise<void>;
}

/** Parses a tool result's JSON text (for successes and job results). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function toolJson(result: unknown): Record<string, any> {
  const r = result as { content?: { type: string; text?: string }[] };
  return JSON.parse(r.content?.find((c) => c.type === 'text')?.text ?? 'null');
}

/** The text of a tool error result; throws if the call did not fail. */
export function toolError(result: unknown): string {
  const r = result as { isError?: boolean; content?: { type: string; text?: string }[] };
  if (!r.isError) throw new Error(`expected a tool error, got ${JSON.stringify(r).slice(0, 300)}`);
  return r.content?.find((c) => c.type === 'text')?.text ?? '';
}

/** Starts the fixture; `ports` adds host ports to the app (e.g. `approve`, the host's approver). */
export async function startAppFixture(
  script: Script,
  overrides: Partial<ConfigInput> = {},
  ports: Pick<AppPorts, 'approve' | 'timers'> = {},
  gatewayOptions: { batchApi?: boolean } = {},
): Promise<AppFixture> {
  const gateway = await startScriptedGateway({ script, ...gatewayOptions });
  const sandbox = realpathSync(mkdtempSync(join(tmpdir(), 'offload-sandbox-')));
  const monthlyBudgetUsd = overrides.monthlyBudgetUsd ?? 25;
  const config = parseConfig({
    sandboxRoots: [sandbox],
    ledgerPath: join(sandbox, 'unused-ledger.sqlite'),
    openaiBaseUrl: gateway.url,
    openaiApiKey: 'scripted-key',
    ...overrides,
  });
  const dailyMicros = overrides.dailyBudgetUsd !== undefined ? Math.round(overrides.dailyBudgetUsd * 1e6) : null;
  const ledger = await openMemoryLedger({ caps: { monthlyMicros: Math.round(monthlyBudgetUsd * 1e6), dailyMicros } });
  const app = await createApp(config, { env: process.env, ledger, ...ports });
  const { server } = app.createMcpServer();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'offload-test', version: '0.0.0' });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return {
    app,
    client,
    gateway,
    sandbox,
    async close() {
      await client.close();
      await app.close();
      await gateway.close();
      rmSync(sandbox, { recursive: true, force: true });
    },
  };
}
