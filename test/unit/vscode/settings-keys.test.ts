import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../../src/core/config';
import { CAP_SETTINGS, configInputFromSettings, SETTING_KEYS, settingNameOf } from '../../../src/vscode/settings-keys';

const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
const declared: Record<string, { scope?: string; default?: unknown }> = pkg.contributes.configuration.properties;
const host = { workspaceFolders: ['/ws'], defaultLedgerPath: '/data/offload/ledger.sqlite' };

describe('offload.* settings', () => {
  it('declares exactly the settings the extension reads, with the same scope', () => {
    assert.deepEqual(Object.keys(declared).sort(), SETTING_KEYS.map((k) => `offload.${k.name}`).sort());
    for (const key of SETTING_KEYS) assert.equal(declared[`offload.${key.name}`]?.scope, key.scope, key.name);
  });

  it('makes every money and breaker setting application-scoped, so a workspace cannot raise a cap', () => {
    for (const name of ['monthlyBudgetUsd', 'dailyBudgetUsd', 'perJobTokenLimit', 'agents', 'priceOverrides', 'openaiBaseUrl', ...CAP_SETTINGS]) {
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

  it('names the offload.* setting in a config error', () => {
    assert.throws(() => parseConfig(configInputFromSettings((n) => (n === 'monthlyBudgetUsd' ? -1 : undefined), host), settingNameOf), /offload\.monthlyBudgetUsd/);
  });
});
