import { strict as assert } from 'node:assert';
import { configFromEnv, parseConfig } from '../../../src/core/config';
import { API_KEY_PLACEHOLDER, mcpClientConfig, workerEnv } from '../../../src/vscode/mcp-client-config';

const config = parseConfig({
  sandboxRoots: ['/a', '/b'],
  ledgerPath: '/data/ledger.sqlite',
  monthlyBudgetUsd: 10,
  openaiApiKey: 'sk-real-secret-key-123',
  openaiBaseUrl: 'https://gw.example/v1',
});

describe('copied MCP client configs', () => {
  it('carries the ledger, sandbox, cap and changed settings, never the API key', () => {
    const env = workerEnv(config, new Set(['openaiBaseUrl']));
    assert.deepEqual(env, {
      OPENAI_API_KEY_COMMAND: API_KEY_PLACEHOLDER,
      MONTHLY_BUDGET: '10',
      OPENAI_BASE_URL: 'https://gw.example/v1',
      SANDBOX_ROOT: process.platform === 'win32' ? '/a;/b' : '/a:/b',
      OFFLOAD_LEDGER: '/data/ledger.sqlite',
    });
    assert.ok(!JSON.stringify(env).includes('sk-real-secret'));
  });

  it('writes breaker, warning and approval settings the way the CLI parses them', () => {
    const tuned = parseConfig({
      sandboxRoots: ['/a'],
      ledgerPath: '/l.sqlite',
      warnThresholds: [50, 90],
      premiumAutoApprove: true,
      breakerCostRule: 'any',
      approvalThresholdUsd: 0.25,
    });
    const env = workerEnv(
      tuned,
      new Set(['warnThresholds', 'premiumAutoApprove', 'breakerCostRule', 'approvalThresholdUsd']),
    );
    assert.deepEqual(
      [env.BUDGET_WARN_PCT, env.PREMIUM_AUTO_APPROVE, env.BREAKER_COST_RULE, env.APPROVAL_THRESHOLD_USD],
      ['50,90', '1', 'any', '0.25'],
    );
    const back = configFromEnv(env, { cwd: '/', home: '/h', platform: 'linux' });
    assert.deepEqual(
      [back.warnThresholds, back.premiumAutoApprove, back.breakerCostRule, back.approvalThresholdUsd],
      [[50, 90], true, 'any', 0.25],
    );
  });

  it('writes Claude Code JSON that runs the bundled worker over stdio', () => {
    const parsed = JSON.parse(mcpClientConfig('claude-code', '/ext/dist/worker.js', { MONTHLY_BUDGET: '10' }));
    assert.deepEqual(parsed, {
      mcpServers: { offload: { command: 'node', args: ['/ext/dist/worker.js', 'mcp'], env: { MONTHLY_BUDGET: '10' } } },
    });
  });

  it('writes a Codex TOML table with quoted, escaped values', () => {
    const toml = mcpClientConfig('codex', 'C:\\ext\\dist\\worker.js', { SANDBOX_ROOT: '/a "b"' });
    assert.equal(
      toml,
      '[mcp_servers.offload]\ncommand = "node"\nargs = ["C:\\\\ext\\\\dist\\\\worker.js", "mcp"]\ndefault_tools_approval_mode = "approve"\nenv = { SANDBOX_ROOT = "/a \\"b\\"" }\n',
    );
  });
});
