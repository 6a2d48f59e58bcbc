import type { ConfigInput } from '../core/config';

/**
 * Where a setting may be set. `application` settings are read from user settings only, so a
 * repository's `.vscode/settings.json` cannot raise a cap, redirect the gateway (and with it the
 * API key) or widen the sandbox (DESIGN.md, security).
 */
export type SettingScope = 'application' | 'machine' | 'window';

/** One `offload.*` setting and the config key it fills. */
export interface SettingKey {
  /** Name after `offload.`, e.g. `monthlyBudgetUsd`. */
  name: string;
  config: keyof ConfigInput;
  scope: SettingScope;
  /** The environment variable the CLI reads instead (for messages and for copied MCP configs). */
  env: string;
}

/**
 * The one list of `offload.*` settings (package.json `contributes.configuration` must declare
 * exactly these; a unit test checks it). Unset values fall back to the config schema's defaults;
 * `sandboxRoots` defaults to the workspace folders and `ledgerPath` to the CLI's default file.
 */
export const SETTING_KEYS: readonly SettingKey[] = [
  { name: 'monthlyBudgetUsd', config: 'monthlyBudgetUsd', scope: 'application', env: 'MONTHLY_BUDGET' },
  { name: 'dailyBudgetUsd', config: 'dailyBudgetUsd', scope: 'application', env: 'DAILY_BUDGET' },
  { name: 'perJobTokenLimit', config: 'perJobTokenLimit', scope: 'application', env: 'PER_JOB_TOKEN_LIMIT' },
  { name: 'maxConcurrency', config: 'maxConcurrency', scope: 'application', env: 'MAX_OPENAI_CONCURRENCY' },
  { name: 'agents', config: 'agents', scope: 'application', env: 'OFFLOAD_AGENTS' },
  { name: 'priceOverrides', config: 'priceOverrides', scope: 'application', env: 'OFFLOAD_PRICES' },
  {
    name: 'batchPriceMultipliers',
    config: 'batchPriceMultipliers',
    scope: 'application',
    env: 'BATCH_PRICE_MULTIPLIERS',
  },
  { name: 'batchPriceMultiplier', config: 'batchPriceMultiplier', scope: 'application', env: 'BATCH_PRICE_MULTIPLIER' },
  { name: 'openaiBaseUrl', config: 'openaiBaseUrl', scope: 'application', env: 'OPENAI_BASE_URL' },
  { name: 'fallbackBaseUrl', config: 'fallbackBaseUrl', scope: 'application', env: 'FALLBACK_BASE_URL' },
  { name: 'sandboxRoots', config: 'sandboxRoots', scope: 'application', env: 'SANDBOX_ROOT' },
  { name: 'ledgerPath', config: 'ledgerPath', scope: 'application', env: 'OFFLOAD_LEDGER' },
  // a team ledger URL wins over the file (both are OFFLOAD_LEDGER for the CLI); its password comes from SecretStorage
  { name: 'ledgerUrl', config: 'ledgerUrl', scope: 'application', env: 'OFFLOAD_LEDGER' },
  { name: 'claudeModel', config: 'claudeModel', scope: 'application', env: 'CLAUDE_MODEL' },
  { name: 'claudeCodeModel', config: 'claudeCodeModel', scope: 'application', env: 'CLAUDE_CODE_MODEL' },
  { name: 'claudePermissionMode', config: 'claudePermissionMode', scope: 'application', env: 'CLAUDE_PERMISSION_MODE' },
  {
    name: 'allowBypassPermissions',
    config: 'allowBypassPermissions',
    scope: 'application',
    env: 'ALLOW_BYPASS_PERMISSIONS',
  },
  { name: 'claudePath', config: 'claudePath', scope: 'machine', env: 'CLAUDE_CODE_PATH' },
  { name: 'escalateModel', config: 'escalateModel', scope: 'application', env: 'WORKER_ESCALATE_MODEL' },
  { name: 'diffMaxBytes', config: 'diffMaxBytes', scope: 'window', env: 'DIFF_MAX_BYTES' },
  { name: 'warnThresholds', config: 'warnThresholds', scope: 'application', env: 'BUDGET_WARN_PCT' },
  { name: 'breakerVelocityPct', config: 'breakerVelocityPct', scope: 'application', env: 'BREAKER_VELOCITY_PCT' },
  {
    name: 'breakerVelocityWindowMs',
    config: 'breakerVelocityWindowMs',
    scope: 'application',
    env: 'BREAKER_VELOCITY_WINDOW_MS',
  },
  { name: 'breakerFailures', config: 'breakerFailures', scope: 'application', env: 'BREAKER_FAILURES' },
  { name: 'breakerCooldownMs', config: 'breakerCooldownMs', scope: 'application', env: 'BREAKER_COOLDOWN_MS' },
  { name: 'breakerCostRule', config: 'breakerCostRule', scope: 'application', env: 'BREAKER_COST_RULE' },
  { name: 'breakerDriftUsd', config: 'breakerDriftUsd', scope: 'application', env: 'BREAKER_DRIFT_USD' },
  { name: 'breakerPollMs', config: 'breakerPollMs', scope: 'application', env: 'BREAKER_POLL_MS' },
  { name: 'breakerCostsUrl', config: 'breakerCostsUrl', scope: 'application', env: 'BREAKER_COSTS_URL' },
  { name: 'premiumAutoApprove', config: 'premiumAutoApprove', scope: 'application', env: 'PREMIUM_AUTO_APPROVE' },
  { name: 'approvalThresholdUsd', config: 'approvalThresholdUsd', scope: 'application', env: 'APPROVAL_THRESHOLD_USD' },
  { name: 'childEnv', config: 'childEnv', scope: 'application', env: 'OFFLOAD_CHILD_ENV' },
  { name: 'readSecretFiles', config: 'readSecretFiles', scope: 'application', env: 'OFFLOAD_READ_SECRET_FILES' },
  { name: 'agentJobMaxCostUsd', config: 'agentJobMaxCostUsd', scope: 'application', env: 'AGENT_JOB_MAX_COST_USD' },
  {
    name: 'savingsReferenceModel',
    config: 'savingsReferenceModel',
    scope: 'application',
    env: 'SAVINGS_REFERENCE_MODEL',
  },
  { name: 'routingMaxCostUsd', config: 'routingMaxCostUsd', scope: 'application', env: 'ROUTING_MAX_COST_USD' },
  { name: 'routingPolicy', config: 'routingPolicy', scope: 'application', env: 'ROUTING_POLICY' },
];

/** Settings that only change the ledger's caps: applied live, without restarting the server. */
export const CAP_SETTINGS: ReadonlySet<string> = new Set(['monthlyBudgetUsd', 'dailyBudgetUsd']);

/** The name a user knows a config key by in VS Code (`offload.monthlyBudgetUsd`), for ConfigError messages. */
export function settingNameOf(configKey: string): string {
  const key = SETTING_KEYS.find((k) => k.config === configKey);
  return key ? `offload.${key.name}` : configKey;
}

/**
 * Builds the config input from raw setting values (undefined, null and '' mean unset) plus what
 * VS Code supplies: the workspace folders, the default ledger path, the API keys (gateway,
 * fallback, and the OpenAI admin key for the breaker's provider-cost rule) and the team ledger's
 * password, all from SecretStorage.
 */
export function configInputFromSettings(
  read: (name: string) => unknown,
  host: {
    workspaceFolders: string[];
    defaultLedgerPath: string;
    openaiApiKey?: string;
    fallbackApiKey?: string;
    openaiAdminKey?: string;
    ledgerPassword?: string;
  },
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const value = read(key.name);
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    input[key.config] = value;
  }
  input.sandboxRoots ??= host.workspaceFolders;
  input.ledgerPath ??= host.defaultLedgerPath;
  if (host.openaiApiKey) input.openaiApiKey = host.openaiApiKey;
  if (host.fallbackApiKey) input.fallbackApiKey = host.fallbackApiKey;
  if (host.openaiAdminKey) input.openaiAdminKey = host.openaiAdminKey;
  if (host.ledgerPassword) input.ledgerPassword = host.ledgerPassword;
  return input;
}
