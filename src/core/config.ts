import { z } from 'zod';
import { DEFAULT_AGENT_MODELS } from './agents';
import { RoutingPolicySchema } from './routing-policy';
import { looksLikeUrl } from './ledger-url';
import { IdentityNameSchema, LedgerUrlSchema } from './team-ledger-schema';

export { AGENTS, DEFAULT_AGENT_MODELS } from './agents';

export const PERMISSION_MODES = ['default', 'acceptEdits', 'plan', 'bypassPermissions'] as const;

/** A Claude Code permission mode (`--permission-mode`). */
export type PermissionMode = (typeof PERMISSION_MODES)[number];

/** Per-model price override in USD per million tokens, for private gateways. */
export const PriceOverrideSchema = z.object({
  input_mtok: z.number().nonnegative(),
  output_mtok: z.number().nonnegative(),
  cache_read_mtok: z.number().nonnegative().optional(),
});
export type PriceOverride = z.infer<typeof PriceOverrideSchema>;

/**
 * The whole configuration of the app, host-independent. The CLI fills it from the environment
 * (`configFromEnv`), the extension from `offload.*` settings and SecretStorage.
 * Money in USD, token limits in tokens, timeouts in ms.
 */
export const ConfigSchema = z.object({
  openaiApiKey: z.string().min(1).optional(),
  openaiBaseUrl: z.url().default('https://api.openai.com/v1'),
  fallbackBaseUrl: z.url().optional(),
  fallbackApiKey: z.string().min(1).optional(),
  monthlyBudgetUsd: z.number().nonnegative().default(25),
  dailyBudgetUsd: z.number().nonnegative().optional(),
  perJobTokenLimit: z.number().int().positive().default(8192),
  /**
   * queue_batch mode "batch": the Batch API price as a share of list price, per gateway
   * (BATCH_PRICE_MULTIPLIERS, JSON): keys are a gateway name (`primary`, `fallback`) or a base-URL
   * host (`api.groq.com`). Unset gateways get the known provider's discount (OpenAI 0.5) or list
   * price; the rule is core/batch-price.ts.
   */
  batchPriceMultipliers: z.record(z.string().min(1), z.number().gt(0).lte(1)).default({}),
  /** BATCH_PRICE_MULTIPLIER, the older single multiplier: still honoured, as an override for the primary gateway. */
  batchPriceMultiplier: z.number().gt(0).lte(1).optional(),
  /** How often a provider batch is polled, ms (BATCH_POLL_MS). */
  batchPollMs: z.number().int().positive().default(60_000),
  maxConcurrency: z.number().int().positive().default(2),
  sandboxRoots: z.array(z.string().min(1)).min(1),
  ledgerPath: z.string().min(1),
  /**
   * The team ledger (OFFLOAD_LEDGER=postgres://… or postgresql://…, offload.ledgerUrl): one budget
   * in PostgreSQL shared by every member; unset, the sql.js file `ledgerPath` is the ledger. May
   * hold a password; it is then a configured secret (core/redact.ts configSecrets).
   */
  ledgerUrl: LedgerUrlSchema.optional(),
  /**
   * The team ledger's password (OFFLOAD_LEDGER_PASSWORD, or the output of
   * OFFLOAD_LEDGER_PASSWORD_COMMAND run at start-up, cli/key-commands.ts; in VS Code from
   * SecretStorage). A configured secret, redacted everywhere.
   */
  ledgerPassword: z.string().min(1).optional(),
  /**
   * The team admin key (OFFLOAD_TEAM_ADMIN_KEY, or OFFLOAD_TEAM_ADMIN_KEY_COMMAND): a process
   * presenting it may set caps on the team ledger without an admin database role; the database
   * keeps only a salted hash (ledger/postgres/admin.ts). A configured secret, redacted everywhere.
   */
  teamAdminKey: z.string().min(16, 'must be at least 16 characters (team admin-key set makes one)').optional(),
  /** Who this process spends as (OFFLOAD_MEMBER); default `<OS user>@<host>` (ledger/identity.ts). */
  member: IdentityNameSchema.optional(),
  /** The machine it runs on (OFFLOAD_MACHINE); default the host name. */
  machine: IdentityNameSchema.optional(),
  /**
   * Gateway model of each tier (OFFLOAD_AGENTS, offload.agents). A tier left out keeps its default
   * (DEFAULT_AGENT_MODELS), so `{"mini-worker":"deepseek-chat"}` overrides one tier only; an
   * unknown tier name is refused by name.
   */
  agents: z
    .strictObject({
      'mini-worker': z.string().min(1).default(DEFAULT_AGENT_MODELS['mini-worker']),
      'balanced-worker': z.string().min(1).default(DEFAULT_AGENT_MODELS['balanced-worker']),
      'premium-worker': z.string().min(1).default(DEFAULT_AGENT_MODELS['premium-worker']),
    })
    .prefault({}),
  /** Gateway model that Claude Code's requests are sent to (CLAUDE_MODEL). */
  claudeModel: z.string().min(1).default('gpt-4o-mini'),
  /** `--model` passed to the Claude Code CLI (CLAUDE_CODE_MODEL). */
  claudeCodeModel: z.string().min(1).default('sonnet'),
  claudePermissionMode: z.enum(PERMISSION_MODES).default('acceptEdits'),
  claudePath: z.string().min(1).optional(),
  /**
   * USE_OPENAI_ADAPTER=0: the gateway speaks Anthropic Messages itself (ANTHROPIC_BASE_URL, required then); the adapter
   * passes Claude Code's requests through to it unchanged but for model, max_tokens and secrets, metering every call as
   * it does translated ones (src/adapter/passthrough-handler.ts).
   */
  useOpenaiAdapter: z.boolean().default(true),
  anthropicBaseUrl: z.url().optional(),
  diffMaxBytes: z.number().int().nonnegative().default(20000),
  metricsFile: z.string().min(1).optional(),
  escalateModel: z.string().min(1).optional(),
  isolation: z.enum(['none', 'worktree']).default('none'),
  /** Days the worktrees and shadow git folders of jobs neither applied nor discarded are kept (swept at start-up). */
  retentionDays: z.number().positive().default(7),
  allowBypassPermissions: z.boolean().default(false),
  adapterKey: z.string().min(8).optional(),
  priceOverrides: z.record(z.string(), PriceOverrideSchema).default({}),
  /** Budget warnings, percent of the monthly cap (BUDGET_WARN_PCT, comma-separated); separate from the cap. */
  warnThresholds: z.array(z.number().gt(0).lte(100)).default([80, 95]),
  /** Breaker velocity rule: % of the monthly budget settled within the window; 0 disables. */
  breakerVelocityPct: z.number().min(0).max(100).default(20),
  breakerVelocityWindowMs: z.number().int().positive().default(3_600_000),
  /** Consecutive upstream failures (after retries and fallback) that open the breaker. */
  breakerFailures: z.number().int().positive().default(5),
  /** How long an upstream-failure trip stays open before one half-open trial call, ms. */
  breakerCooldownMs: z.number().int().nonnegative().default(60_000),
  /** OpenAI admin key for GET /v1/organization/costs; the provider-cost rule is off without it. */
  openaiAdminKey: z.string().min(1).optional(),
  /** The costs endpoint (tests point it at a local stand-in). */
  breakerCostsUrl: z.url().default('https://api.openai.com/v1/organization/costs'),
  /** `any`: any provider cost today or yesterday (UTC) opens the breaker (the original breaker); `drift`: provider − ledger > BREAKER_DRIFT_USD. */
  breakerCostRule: z.enum(['any', 'drift']).default('drift'),
  breakerDriftUsd: z.number().nonnegative().default(1),
  /** How often a long-running host polls the provider's costs, ms. */
  breakerPollMs: z.number().int().positive().default(300_000),
  /** PREMIUM_AUTO_APPROVE=1: premium-worker jobs and jobs over the approval threshold need no human yes. */
  premiumAutoApprove: z.boolean().default(false),
  /** Jobs whose worst-case forecast exceeds this (USD) need approval like premium-worker jobs. */
  approvalThresholdUsd: z.number().nonnegative().optional(),
  /** The bearer token of `mcp --http` (OFFLOAD_MCP_TOKEN); a configured secret, redacted everywhere. */
  mcpToken: z.string().min(8).optional(),
  /** OFFLOAD_CHILD_ENV: extra variable names (comma-separated) that check commands and the Claude Code child may see. */
  childEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be variable names such as MY_VAR')).default([]),
  /** OFFLOAD_READ_SECRET_FILES=1: analyze, input_refs and Claude Code may read .env, key and credential files. */
  readSecretFiles: z.boolean().default(false),
  /** Cap of a `start` job that gives no max_cost_usd, USD (AGENT_JOB_MAX_COST_USD); enforced per upstream request. */
  agentJobMaxCostUsd: z.number().positive().default(1),
  /** Premium model whose prices the savings receipt compares against (SAVINGS_REFERENCE_MODEL); must be priced. */
  savingsReferenceModel: z.string().min(1).default('claude-sonnet-5'),
  /** `agent: "auto"`: a tier is chosen only if its worst-case forecast is at most this, USD (ROUTING_MAX_COST_USD); also the job's cap. */
  routingMaxCostUsd: z.number().positive('must be more than 0 USD, e.g. 0.25').default(0.25),
  /** `agent: "auto"`: task class → allowed tiers (ROUTING_POLICY, JSON; core/routing-policy.ts). */
  routingPolicy: RoutingPolicySchema,
});
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Thrown when the configuration is invalid; `message` names the variable and what is allowed. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Environment variable → config key, for messages and for `configFromEnv`. */
const ENV_KEYS: Record<string, keyof Config> = {
  OPENAI_BASE_URL: 'openaiBaseUrl',
  FALLBACK_BASE_URL: 'fallbackBaseUrl',
  FALLBACK_API_KEY: 'fallbackApiKey',
  MONTHLY_BUDGET: 'monthlyBudgetUsd',
  DAILY_BUDGET: 'dailyBudgetUsd',
  PER_JOB_TOKEN_LIMIT: 'perJobTokenLimit',
  BATCH_PRICE_MULTIPLIER: 'batchPriceMultiplier',
  BATCH_PRICE_MULTIPLIERS: 'batchPriceMultipliers',
  BATCH_POLL_MS: 'batchPollMs',
  MAX_OPENAI_CONCURRENCY: 'maxConcurrency',
  SANDBOX_ROOT: 'sandboxRoots',
  OFFLOAD_LEDGER: 'ledgerPath', // or ledgerUrl, for a postgres:// URL (configFromEnv)
  OFFLOAD_LEDGER_PASSWORD: 'ledgerPassword',
  OFFLOAD_TEAM_ADMIN_KEY: 'teamAdminKey',
  OFFLOAD_MEMBER: 'member',
  OFFLOAD_MACHINE: 'machine',
  CLAUDE_MODEL: 'claudeModel',
  CLAUDE_CODE_MODEL: 'claudeCodeModel',
  CLAUDE_PERMISSION_MODE: 'claudePermissionMode',
  CLAUDE_CODE_PATH: 'claudePath',
  USE_OPENAI_ADAPTER: 'useOpenaiAdapter',
  ANTHROPIC_BASE_URL: 'anthropicBaseUrl',
  DIFF_MAX_BYTES: 'diffMaxBytes',
  WORKER_METRICS_FILE: 'metricsFile',
  WORKER_ESCALATE_MODEL: 'escalateModel',
  WORKER_ISOLATION: 'isolation',
  OFFLOAD_RETENTION_DAYS: 'retentionDays',
  ALLOW_BYPASS_PERMISSIONS: 'allowBypassPermissions',
  OFFLOAD_ADAPTER_KEY: 'adapterKey',
  OFFLOAD_PRICES: 'priceOverrides',
  OFFLOAD_AGENTS: 'agents',
  BUDGET_WARN_PCT: 'warnThresholds',
  BREAKER_VELOCITY_PCT: 'breakerVelocityPct',
  BREAKER_VELOCITY_WINDOW_MS: 'breakerVelocityWindowMs',
  BREAKER_FAILURES: 'breakerFailures',
  BREAKER_COOLDOWN_MS: 'breakerCooldownMs',
  OPENAI_ADMIN_KEY: 'openaiAdminKey',
  BREAKER_COSTS_URL: 'breakerCostsUrl',
  BREAKER_COST_RULE: 'breakerCostRule',
  BREAKER_DRIFT_USD: 'breakerDriftUsd',
  BREAKER_POLL_MS: 'breakerPollMs',
  PREMIUM_AUTO_APPROVE: 'premiumAutoApprove',
  APPROVAL_THRESHOLD_USD: 'approvalThresholdUsd',
  OFFLOAD_MCP_TOKEN: 'mcpToken',
  OFFLOAD_CHILD_ENV: 'childEnv',
  OFFLOAD_READ_SECRET_FILES: 'readSecretFiles',
  AGENT_JOB_MAX_COST_USD: 'agentJobMaxCostUsd',
  SAVINGS_REFERENCE_MODEL: 'savingsReferenceModel',
  ROUTING_MAX_COST_USD: 'routingMaxCostUsd',
  ROUTING_POLICY: 'routingPolicy',
};

/** Where the shared ledger lives by default: the user's data folder, per platform. */
export function defaultLedgerPath(platform: string, home: string, env: Record<string, string | undefined>): string {
  if (platform === 'win32') return `${env.APPDATA ?? `${home}\\AppData\\Roaming`}\\offload\\ledger.sqlite`;
  if (platform === 'darwin') return `${home}/Library/Application Support/offload/ledger.sqlite`;
  return `${env.XDG_DATA_HOME ?? `${home}/.local/share`}/offload/ledger.sqlite`;
}

function num(name: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) {
    throw new ConfigError(
      `${name}=${JSON.stringify(raw)} is not a number; set it to a number such as ${name === 'MONTHLY_BUDGET' ? '25' : '2'}`,
    );
  }
  return value;
}

function bool(name: string, raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off|)$/i.test(raw)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a boolean; use 1 or 0`);
}

/** An example value of each JSON variable, for messages. */
const JSON_EXAMPLES: Record<string, string> = {
  OFFLOAD_AGENTS: '{"mini-worker":"deepseek-chat"}',
  BATCH_PRICE_MULTIPLIERS: '{"primary":0.5,"api.together.xyz":0.5}',
  ROUTING_POLICY: '{"format":["mini-worker"],"review":["balanced-worker","premium-worker"]}',
};

function json(name: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new ConfigError(
      `${name} must be JSON, e.g. ${name}='${JSON_EXAMPLES[name] ?? '{"my-model":{"input_mtok":0.1,"output_mtok":0.2}}'}'`,
    );
  }
}

/**
 * Builds the config from environment variables (DESIGN.md lists them). `ONEAPI_API_KEY` and
 * `ONEAPI_BASE_URL` are the original worker's names for a OneAPI gateway and win over the OpenAI
 * pair when both are set. Throws ConfigError naming the variable and what is allowed.
 */
export function configFromEnv(
  env: Record<string, string | undefined>,
  defaults: { cwd: string; home: string; platform: string },
): Config {
  const input: Record<string, unknown> = {
    sandboxRoots: [defaults.cwd],
    ledgerPath: defaultLedgerPath(defaults.platform, defaults.home, env),
  };
  const apiKey = env.ONEAPI_API_KEY || env.OPENAI_API_KEY;
  if (apiKey) input.openaiApiKey = apiKey;
  if (env.ONEAPI_BASE_URL) input.openaiBaseUrl = env.ONEAPI_BASE_URL;
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (key === 'openaiBaseUrl' && env.ONEAPI_BASE_URL) continue;
    const shape = ConfigSchema.shape[key];
    const base =
      shape instanceof z.ZodDefault || shape instanceof z.ZodPrefault || shape instanceof z.ZodOptional
        ? shape.unwrap()
        : shape;
    if (key === 'ledgerPath' && looksLikeUrl(raw))
      input.ledgerUrl = raw; // validated there: postgres:// only
    else if (key === 'sandboxRoots') input[key] = raw.split(/[:;](?![\\/])/).filter(Boolean);
    else if (key === 'childEnv')
      input[key] = raw
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
    else if (base instanceof z.ZodArray) input[key] = raw.split(',').map((part) => num(name, part));
    else if (base instanceof z.ZodNumber) input[key] = num(name, raw);
    else if (base instanceof z.ZodBoolean) input[key] = bool(name, raw);
    else if (base instanceof z.ZodRecord || base instanceof z.ZodObject) input[key] = json(name, raw);
    else input[key] = raw;
  }
  return parseConfig(
    input,
    (key) => (key === 'ledgerUrl' ? 'OFFLOAD_LEDGER' : Object.entries(ENV_KEYS).find(([, k]) => k === key)?.[0]) ?? key,
  );
}

/**
 * Validates a config object. `nameOf` maps a config key to the name the user knows it by
 * (an environment variable, an `offload.*` setting). Throws ConfigError.
 */
export function parseConfig(input: unknown, nameOf: (key: string) => string = (k) => k): Config {
  const result = ConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const rest = issue.path.slice(1).join('.');
    return `${nameOf(key)}${rest ? ` (${rest})` : ''}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
}
