import assert from 'node:assert/strict';
import {
  ConfigError,
  configFromEnv,
  DEFAULT_AGENT_MODELS,
  defaultLedgerPath,
  parseConfig,
} from '../../../src/core/config';
import { DEFAULT_ROUTING_POLICY } from '../../../src/core/routing-policy';

const defaults = { cwd: '/work/proj', home: '/home/me', platform: 'linux' };
const fromEnv = (env: Record<string, string>) => configFromEnv(env, defaults);

function throwsNaming(fn: () => unknown, name: string): void {
  assert.throws(fn, (err: unknown) => err instanceof ConfigError && err.message.includes(name));
}

describe('configFromEnv', () => {
  it("applies the original worker's defaults: 25 USD, 8192 tokens per job, 2 concurrent calls", () => {
    const c = fromEnv({});
    assert.equal(c.monthlyBudgetUsd, 25);
    assert.equal(c.perJobTokenLimit, 8192);
    assert.equal(c.maxConcurrency, 2);
    assert.equal(c.dailyBudgetUsd, undefined);
    assert.deepEqual(c.sandboxRoots, ['/work/proj']);
    assert.equal(c.ledgerPath, '/home/me/.local/share/offload/ledger.sqlite');
  });

  it('reads numbers, booleans and JSON from their variables', () => {
    const c = fromEnv({
      MONTHLY_BUDGET: '10.5',
      DAILY_BUDGET: '1',
      ALLOW_BYPASS_PERMISSIONS: 'true',
      OFFLOAD_PRICES: '{"m":{"input_mtok":1,"output_mtok":2}}',
    });
    assert.equal(c.monthlyBudgetUsd, 10.5);
    assert.equal(c.dailyBudgetUsd, 1);
    assert.equal(c.allowBypassPermissions, true);
    assert.deepEqual(c.priceOverrides, { m: { input_mtok: 1, output_mtok: 2 } });
  });

  const bad: Array<[Record<string, string>, string]> = [
    [{ MONTHLY_BUDGET: 'abc' }, 'MONTHLY_BUDGET'],
    [{ MONTHLY_BUDGET: '-5' }, 'MONTHLY_BUDGET'],
    [{ PER_JOB_TOKEN_LIMIT: '1.5' }, 'PER_JOB_TOKEN_LIMIT'],
    [{ CLAUDE_PERMISSION_MODE: 'bogus' }, 'CLAUDE_PERMISSION_MODE'],
    [{ ALLOW_BYPASS_PERMISSIONS: 'maybe' }, 'ALLOW_BYPASS_PERMISSIONS'],
    [{ OFFLOAD_PRICES: '{not json' }, 'OFFLOAD_PRICES'],
    [{ OPENAI_BASE_URL: 'not a url' }, 'OPENAI_BASE_URL'],
    [{ OFFLOAD_CHILD_ENV: 'GOOD,bad name' }, 'OFFLOAD_CHILD_ENV'],
    [{ OFFLOAD_READ_SECRET_FILES: 'sometimes' }, 'OFFLOAD_READ_SECRET_FILES'],
    [{ OFFLOAD_MCP_TOKEN: 'short' }, 'OFFLOAD_MCP_TOKEN'],
  ];
  for (const [env, name] of bad) {
    it(`rejects ${JSON.stringify(env)} with an error naming ${name}`, () => throwsNaming(() => fromEnv(env), name));
  }

  it('reads the secrets settings: OFFLOAD_CHILD_ENV names (comma-separated), OFFLOAD_READ_SECRET_FILES, OFFLOAD_MCP_TOKEN', () => {
    const c = fromEnv({
      OFFLOAD_CHILD_ENV: 'JAVA_HOME, GOPATH',
      OFFLOAD_READ_SECRET_FILES: '1',
      OFFLOAD_MCP_TOKEN: 'a-long-token',
    });
    assert.deepEqual(c.childEnv, ['JAVA_HOME', 'GOPATH']);
    assert.equal(c.readSecretFiles, true);
    assert.equal(c.mcpToken, 'a-long-token');
    const d = fromEnv({});
    assert.deepEqual(d.childEnv, []);
    assert.equal(d.readSecretFiles, false);
  });

  it('prefers ONEAPI_API_KEY and ONEAPI_BASE_URL over the OpenAI pair', () => {
    const c = fromEnv({
      OPENAI_API_KEY: 'sk-openai',
      OPENAI_BASE_URL: 'https://api.openai.com/v1',
      ONEAPI_API_KEY: 'sk-oneapi',
      ONEAPI_BASE_URL: 'http://127.0.0.1:3000/v1',
    });
    assert.equal(c.openaiApiKey, 'sk-oneapi');
    assert.equal(c.openaiBaseUrl, 'http://127.0.0.1:3000/v1');
  });

  it('falls back to the OpenAI pair when ONEAPI_* is unset', () => {
    const c = fromEnv({ OPENAI_API_KEY: 'sk-openai', OPENAI_BASE_URL: 'http://gw.local/v1' });
    assert.equal(c.openaiApiKey, 'sk-openai');
    assert.equal(c.openaiBaseUrl, 'http://gw.local/v1');
  });
});

describe('defaultLedgerPath', () => {
  const table: Array<[string, Record<string, string>, string]> = [
    ['linux', {}, '/home/me/.local/share/offload/ledger.sqlite'],
    ['linux', { XDG_DATA_HOME: '/data' }, '/data/offload/ledger.sqlite'],
    ['darwin', {}, '/home/me/Library/Application Support/offload/ledger.sqlite'],
    [
      'win32',
      { APPDATA: 'C:\\Users\\me\\AppData\\Roaming' },
      'C:\\Users\\me\\AppData\\Roaming\\offload\\ledger.sqlite',
    ],
  ];
  for (const [platform, env, expected] of table) {
    it(`puts the ledger at ${expected} on ${platform}`, () =>
      assert.equal(defaultLedgerPath(platform, '/home/me', env), expected));
  }
});

describe('parseConfig', () => {
  it('names the setting the user knows through nameOf', () => {
    throwsNaming(
      () => parseConfig({ sandboxRoots: ['/p'], ledgerPath: '/l', maxConcurrency: 0 }, (k) => `offload.${k}`),
      'offload.maxConcurrency',
    );
  });
});

describe('agent tier overrides', () => {
  const base = { sandboxRoots: ['/w'], ledgerPath: '/l' };
  const overrides: Array<[string, Record<string, string>, Record<string, string>]> = [
    ['one tier', { 'premium-worker': 'o3-mini' }, { ...DEFAULT_AGENT_MODELS, 'premium-worker': 'o3-mini' }],
    [
      'two tiers',
      { 'mini-worker': 'deepseek-chat', 'balanced-worker': 'gpt-4.1' },
      { ...DEFAULT_AGENT_MODELS, 'mini-worker': 'deepseek-chat', 'balanced-worker': 'gpt-4.1' },
    ],
    ['no tier', {}, { ...DEFAULT_AGENT_MODELS }],
  ];
  for (const [what, agents, expected] of overrides) {
    it(`overriding ${what} keeps the other tiers' defaults (settings)`, () => {
      assert.deepEqual(parseConfig({ ...base, agents }).agents, expected);
    });
    it(`overriding ${what} keeps the other tiers' defaults (OFFLOAD_AGENTS)`, () => {
      assert.deepEqual(fromEnv({ OFFLOAD_AGENTS: JSON.stringify(agents) }).agents, expected);
    });
  }

  it('keeps the three defaults when agents is not set at all', () => {
    assert.deepEqual(parseConfig(base).agents, {
      'mini-worker': 'gpt-4o-mini',
      'balanced-worker': 'gpt-4o',
      'premium-worker': 'o1-mini',
    });
  });

  it('refuses an unknown tier by name, and an empty model', () => {
    throwsNaming(() => fromEnv({ OFFLOAD_AGENTS: '{"mega-worker":"gpt-5"}' }), 'mega-worker');
    throwsNaming(() => fromEnv({ OFFLOAD_AGENTS: '{"mini-worker":""}' }), 'OFFLOAD_AGENTS (mini-worker)');
    throwsNaming(() => fromEnv({ OFFLOAD_AGENTS: '{mini' }), 'OFFLOAD_AGENTS=\'{"mini-worker":"deepseek-chat"}\'');
  });
});

describe('routing settings', () => {
  it('defaults ROUTING_MAX_COST_USD to 0.25 USD and ROUTING_POLICY to the documented policy', () => {
    const c = fromEnv({});
    assert.equal(c.routingMaxCostUsd, 0.25);
    assert.deepEqual(c.routingPolicy, DEFAULT_ROUTING_POLICY);
  });

  it('reads ROUTING_MAX_COST_USD and a ROUTING_POLICY that changes one class, keeping the others', () => {
    const c = fromEnv({
      ROUTING_MAX_COST_USD: '0.05',
      ROUTING_POLICY: '{"review":["balanced-worker","premium-worker"]}',
    });
    assert.equal(c.routingMaxCostUsd, 0.05);
    assert.deepEqual(c.routingPolicy, { ...DEFAULT_ROUTING_POLICY, review: ['balanced-worker', 'premium-worker'] });
  });

  // [ROUTING_POLICY, what the message must say]
  const bad: Array<[string, string]> = [
    [
      '{"formatting":["mini-worker"]}',
      'ROUTING_POLICY: unknown task class "formatting"; the classes are bulk, format, rename, short-copy, summarize, refactor, review, plan',
    ],
    [
      '{"format":["mega-worker"]}',
      'ROUTING_POLICY (format.0): "mega-worker" is not a tier; use tier names (mini-worker, balanced-worker, premium-worker)',
    ],
    ['{"format":[]}', 'ROUTING_POLICY (format): must allow at least one tier, e.g. ["mini-worker"]'],
    ['{"format":"mini-worker"}', 'ROUTING_POLICY (format): must be a list of tiers, e.g. ["mini-worker"]'],
    ['["mini-worker"]', 'ROUTING_POLICY: must be an object of task class → tiers, e.g. {"format":["mini-worker"]}'],
    ['{format', 'ROUTING_POLICY must be JSON, e.g. ROUTING_POLICY=\'{"format":["mini-worker"]'],
  ];
  for (const [raw, message] of bad) {
    it(`refuses ROUTING_POLICY=${raw} naming the field and the fix`, () =>
      throwsNaming(() => fromEnv({ ROUTING_POLICY: raw }), message));
  }

  it('refuses a ROUTING_MAX_COST_USD of 0, saying what is allowed', () => {
    throwsNaming(
      () => fromEnv({ ROUTING_MAX_COST_USD: '0' }),
      'ROUTING_MAX_COST_USD: must be more than 0 USD, e.g. 0.25',
    );
  });

  it('names the setting in VS Code terms through nameOf', () => {
    throwsNaming(
      () =>
        parseConfig(
          { sandboxRoots: ['/w'], ledgerPath: '/l', routingPolicy: { plan: ['boss'] } },
          (k) => `offload.${k}`,
        ),
      'offload.routingPolicy (plan.0)',
    );
  });
});

describe('batch price settings', () => {
  it('reads BATCH_PRICE_MULTIPLIERS as JSON and BATCH_PRICE_MULTIPLIER as a number, both unset by default', () => {
    const none = fromEnv({});
    assert.deepEqual(none.batchPriceMultipliers, {});
    assert.equal(none.batchPriceMultiplier, undefined);
    const set = fromEnv({
      BATCH_PRICE_MULTIPLIERS: '{"primary":0.4,"api.together.xyz":0.5}',
      BATCH_PRICE_MULTIPLIER: '0.3',
    });
    assert.deepEqual(set.batchPriceMultipliers, { primary: 0.4, 'api.together.xyz': 0.5 });
    assert.equal(set.batchPriceMultiplier, 0.3);
  });

  it('refuses a multiplier above 1 or not JSON, naming the variable', () => {
    throwsNaming(() => fromEnv({ BATCH_PRICE_MULTIPLIERS: '{"primary":1.5}' }), 'BATCH_PRICE_MULTIPLIERS (primary)');
    throwsNaming(() => fromEnv({ BATCH_PRICE_MULTIPLIERS: 'primary=0.5' }), 'BATCH_PRICE_MULTIPLIERS=\'{"primary":0.5');
    throwsNaming(() => fromEnv({ BATCH_PRICE_MULTIPLIER: '0' }), 'BATCH_PRICE_MULTIPLIER');
  });
});
