import { strict as assert } from 'node:assert';
import { parseConfig } from '../../../src/core/config';
import { API_KEY_PLACEHOLDER, mcpClientConfig, workerEnv } from '../../../src/vscode/mcp-client-config';

const config = parseConfig({ sandboxRoots: ['/a', '/b'], ledgerPath: '/data/ledger.sqlite', monthlyBudgetUsd: 10, openaiApiKey: 'sk-real-secret-key-123', openaiBaseUrl: 'https://gw.example/v1' });

describe('copied MCP client configs', () => {
  it('carries the ledger, sandbox, cap and changed settings, never the API key', () => {
    const env = workerEnv(config, new Set(['openaiBaseUrl']));
    assert.deepEqual(env, { OPENAI_API_KEY: API_KEY_PLACEHOLDER, MONTHLY_BUDGET: '10', OPENAI_BASE_URL: 'https://gw.example/v1', SANDBOX_ROOT: process.platform === 'win32' ? '/a;/b' : '/a:/b', OFFLOAD_LEDGER: '/data/ledger.sqlite' });
    assert.ok(!JSON.stringify(env).includes('sk-real-secret'));
  });

  it('writes Claude Code JSON that runs the bundled worker over stdio', () => {
    const parsed = JSON.parse(mcpClientConfig('claude-code', '/ext/dist/worker.js', { MONTHLY_BUDGET: '10' }));
    assert.deepEqual(parsed, { mcpServers: { offload: { command: 'node', args: ['/ext/dist/worker.js', 'mcp'], env: { MONTHLY_BUDGET: '10' } } } });
  });

  it('writes a Codex TOML table with quoted, escaped values', () => {
    const toml = mcpClientConfig('codex', 'C:\\ext\\dist\\worker.js', { SANDBOX_ROOT: '/a "b"' });
    assert.equal(toml, '[mcp_servers.offload]\ncommand = "node"\nargs = ["C:\\\\ext\\\\dist\\\\worker.js", "mcp"]\nenv = { SANDBOX_ROOT = "/a \\"b\\"" }\n');
  });
});
