import { strict as assert } from 'node:assert';
import {
  bashAllowRule,
  checkAllowRules,
  claudeSettingsJson,
  permissionModeOf,
} from '../../../src/core/claude-permissions';
import { InputError } from '../../../src/core/errors';

describe('claude permission rules', () => {
  it('turns an ordinary check command into one Bash rule, verbatim', () => {
    assert.equal(bashAllowRule('npm test -- --grep "add"', 'checks[0].command'), 'Bash(npm test -- --grep "add")');
    assert.equal(
      bashAllowRule('node --test && npm run lint', 'checks[0].command'),
      'Bash(node --test && npm run lint)',
    );
  });

  const hostile = [
    ['true), Bash, Bash(true', '")"'],
    ['npm test,Bash', '","'],
    ['npm *', '"*"'],
    ['npm test\nrm -rf ~', 'U+000a'],
    ['npm test (x', '"("'],
  ];
  for (const [command, named] of hostile) {
    it(`refuses ${JSON.stringify(command)}, naming the field and the character`, () => {
      assert.throws(
        () => checkAllowRules([{ command: 'npm test' }, { command: command! }]),
        (e: unknown) => {
          assert.ok(e instanceof InputError);
          assert.equal(e.field, 'checks[1].command');
          assert.ok(e.message.includes(named!), e.message);
          return true;
        },
      );
    });
  }

  it('refuses an empty command', () => {
    assert.throws(() => bashAllowRule('  ', 'checks[0].command'), /checks\[0\]\.command: is empty/);
  });

  it('denies .env and key files to Read and Edit in the settings, unless reading secret files is allowed', () => {
    const deny = (JSON.parse(claudeSettingsJson(false)) as { permissions: { deny: string[] } }).permissions.deny;
    for (const rule of [
      'Read(./**/.env)',
      'Read(//**/.env)',
      'Read(./**/*.pem)',
      'Edit(./**/.env.*)',
      'Read(./**/.ssh/**)',
      'Read(./**/id_rsa*)',
    ])
      assert.ok(deny.includes(rule), rule);
    assert.deepEqual(
      (JSON.parse(claudeSettingsJson(true)) as { permissions: { deny: string[] } }).permissions.deny,
      [],
    );
  });
});

describe('permissionModeOf (the one bypassPermissions rule)', () => {
  const config = { claudePermissionMode: 'acceptEdits' as const, allowBypassPermissions: false };
  it("takes the request's mode, else the configured default", () => {
    assert.equal(permissionModeOf('plan', config), 'plan');
    assert.equal(permissionModeOf(undefined, config), 'acceptEdits');
  });
  it('refuses bypassPermissions, asked or configured, unless ALLOW_BYPASS_PERMISSIONS is set', () => {
    assert.throws(
      () => permissionModeOf('bypassPermissions', config),
      (e: unknown) =>
        e instanceof InputError && e.field === 'permission_mode' && /ALLOW_BYPASS_PERMISSIONS=1/.test(e.message),
    );
    assert.throws(
      () => permissionModeOf(undefined, { ...config, claudePermissionMode: 'bypassPermissions' }),
      InputError,
    );
    assert.equal(
      permissionModeOf('bypassPermissions', { ...config, allowBypassPermissions: true }),
      'bypassPermissions',
    );
  });
});
