import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigSchema, parseConfig, type ConfigInput } from '../../../src/core/config';
import { CAP_SETTINGS, configInputFromSettings, SETTING_KEYS, settingNameOf } from '../../../src/vscode/settings-keys';

const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
const declared: Record<string, { scope?: string; default?: unknown }> = pkg.contributes.configuration.properties;
const host = { workspaceFolders: ['/ws'], defaultLedgerPath: '/data/offload/ledger.sqlite' };

describe('offload.* settings', () => {
  it('declares exactly the settings the extension reads, with the same scope', () => {
    assert.deepEqual(Object.keys(declared).sort(), SETTING_KEYS.map((k) => `offload.${k.name}`).sort());
    for (const key of SETTING_KEYS) assert.equal(declared[`offload.${key.name}`]?.scope, key.scope, key.name);
  });

  it('makes every money, breaker and approval setting application-scoped, so a workspace cannot raise a cap or loosen the breaker', () => {
    const guards = [
      'monthlyBudgetUsd',
      'dailyBudgetUsd',
      'perJobTokenLimit',
      'agents',
      'priceOverrides',
      'openaiBaseUrl',
      ...CAP_SETTINGS,
      'warnThresholds',
      'breakerVelocityPct',
      'breakerVelocityWindowMs',
      'breakerFailures',
      'breakerCooldownMs',
      'breakerCostRule',
      'breakerDriftUsd',
      'breakerPollMs',
      'breakerCostsUrl',
      'premiumAutoApprove',
      'approvalThresholdUsd',
    ];
    for (const name of guards) {
      assert.equal(declared[`offload.${name}`]?.scope, 'application', name);
    }
  });

  it('declares defaults the config schema accepts and agrees with', () => {
    const defaults = parseConfig(configInputFromSettings((name) => declared[`offload.${name}`]?.default, host));
    const schema = parseConfig(configInputFromSettings(() => undefined, host));
    assert.deepEqual(defaults, schema);
  });

  it('defaults the sandbox to the workspace folders and the ledger to the CLI default', () => {
    const input = configInputFromSettings(() => undefined, { ...host, openaiApiKey: 'sk-secret-value' });
    assert.deepEqual(input.sandboxRoots, ['/ws']);
    assert.equal(input.ledgerPath, '/data/offload/ledger.sqlite');
    assert.equal(input.openaiApiKey, 'sk-secret-value');
  });

  it('offers a setting for every breaker, warning and approval option of the config schema', () => {
    const configKeys = new Set(SETTING_KEYS.map((k) => k.config));
    const wanted = Object.keys(ConfigSchema.shape).filter((k) => /^(breaker|warn|premium|approval)/.test(k));
    assert.ok(wanted.length >= 11);
    for (const key of wanted) assert.ok(configKeys.has(key as keyof ConfigInput), key);
  });

  it('passes the OpenAI admin key from SecretStorage, never from a setting', () => {
    const input = configInputFromSettings(() => undefined, { ...host, openaiAdminKey: 'sk-admin-secret-value' });
    assert.equal(parseConfig(input).openaiAdminKey, 'sk-admin-secret-value');
    assert.ok(!SETTING_KEYS.some((k) => /key/i.test(k.config)), 'no API key is a setting');
  });

  it('reads approval and breaker settings into the config', () => {
    const values: Record<string, unknown> = {
      premiumAutoApprove: true,
      approvalThresholdUsd: 0.5,
      breakerCostRule: 'any',
      warnThresholds: [50, 90],
    };
    const config = parseConfig(configInputFromSettings((name) => values[name], host));
    assert.deepEqual(
      [config.premiumAutoApprove, config.approvalThresholdUsd, config.breakerCostRule, config.warnThresholds],
      [true, 0.5, 'any', [50, 90]],
    );
  });

  it('names the offload.* setting in a config error', () => {
    assert.throws(
      () =>
        parseConfig(
          configInputFromSettings((n) => (n === 'monthlyBudgetUsd' ? -1 : undefined), host),
          settingNameOf,
        ),
      /offload\.monthlyBudgetUsd/,
    );
  });
});
