import assert from 'node:assert/strict';
import { resolveKeyCommands } from '../../../src/cli/key-commands';
import { ConfigError, configFromEnv, parseConfig } from '../../../src/core/config';
import { ledgerLabel, ledgerUrlSecrets, withoutPassword } from '../../../src/core/ledger-url';
import { configSecrets, redact, REDACTED } from '../../../src/core/redact';
import { workerEnv } from '../../../src/vscode/mcp-client-config';
import { configInputFromSettings } from '../../../src/vscode/settings-keys';

const defaults = { cwd: '/work/proj', home: '/home/me', platform: 'linux' };
const fromEnv = (env: Record<string, string>) => configFromEnv(env, defaults);
const URL_WITH_PASSWORD = 'postgres://ana:s3cr%2Ft-pw@db.example.com:5432/offload';

/** Asserts a ConfigError whose message names `name`, matches `fix` and never repeats `secret`. */
function refuses(fn: () => unknown, name: string, fix: RegExp, secret?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.ok(err.message.includes(name), err.message);
    assert.match(err.message, fix);
    if (secret) assert.ok(!err.message.includes(secret), `the message repeats the secret: ${err.message}`);
    return true;
  });
}

describe('team ledger settings', () => {
  describe('OFFLOAD_LEDGER', () => {
    const selects: Array<[string, string]> = [
      ['postgres://ana@db.example.com:5432/offload', 'postgres'],
      ['postgresql://ana@db.example.com/offload', 'postgresql'],
      ['postgresql:///offload?host=/var/run/postgresql', 'a unix socket'],
    ];
    for (const [url, what] of selects) {
      it(`selects the team ledger for a ${what} URL, keeping the default file for local job logs`, () => {
        const c = fromEnv({ OFFLOAD_LEDGER: url });
        assert.equal(c.ledgerUrl, url);
        assert.equal(c.ledgerPath, '/home/me/.local/share/offload/ledger.sqlite');
      });
    }

    it('takes a file path as the local ledger file, as before', () => {
      const c = fromEnv({ OFFLOAD_LEDGER: '/data/team.sqlite' });
      assert.deepEqual([c.ledgerPath, c.ledgerUrl], ['/data/team.sqlite', undefined]);
    });

    it('refuses a URL of another scheme, naming the variable and the fix, without repeating the URL', () => {
      refuses(
        () => fromEnv({ OFFLOAD_LEDGER: 'mysql://ana:hunter2-secret@db/offload' }),
        'OFFLOAD_LEDGER',
        /scheme mysql:.*postgres:\/\/offload@db\.example\.com:5432\/offload.*file path/,
        'hunter2-secret',
      );
    });

    it('refuses a postgres URL that does not parse, without repeating it', () => {
      refuses(
        () => fromEnv({ OFFLOAD_LEDGER: 'postgres://ana:pw-secret@[bad/offload' }),
        'OFFLOAD_LEDGER',
        /not a valid URL/,
        'pw-secret',
      );
    });

    it('names offload.ledgerUrl when the VS Code setting is wrong', () => {
      refuses(
        () => parseConfig({ sandboxRoots: ['/w'], ledgerPath: '/l', ledgerUrl: 'http://x' }, (k) => `offload.${k}`),
        'offload.ledgerUrl',
        /PostgreSQL connection URL/,
      );
    });
  });

  describe('OFFLOAD_MEMBER and OFFLOAD_MACHINE', () => {
    it('reads them', () => {
      const c = fromEnv({ OFFLOAD_MEMBER: 'ana', OFFLOAD_MACHINE: 'ci-runner-3' });
      assert.deepEqual([c.member, c.machine], ['ana', 'ci-runner-3']);
      assert.deepEqual(
        [fromEnv({}).member, fromEnv({}).machine],
        [undefined, undefined],
        'unset: the default identity',
      );
    });

    const bad: Array<[string, string, RegExp]> = [
      ['OFFLOAD_MEMBER', 'x'.repeat(129), /at most 128 characters/],
      ['OFFLOAD_MEMBER', 'ana\nroot', /control characters/],
      ['OFFLOAD_MACHINE', 'box\u0007', /control characters/],
      ['OFFLOAD_MACHINE', 'tab\there', /control characters/],
    ];
    for (const [name, value, fix] of bad) {
      it(`refuses ${name}=${JSON.stringify(value.slice(0, 12))}, naming it`, () => {
        refuses(() => fromEnv({ [name]: value }), name, fix);
      });
    }

    it('accepts 128 characters and non-ASCII names', () => {
      assert.equal(fromEnv({ OFFLOAD_MEMBER: 'é'.repeat(128) }).member?.length, 128);
    });
  });

  describe('the password', () => {
    it('runs OFFLOAD_LEDGER_PASSWORD_COMMAND like the key commands and reads its output as the password', () => {
      const env = resolveKeyCommands({ OFFLOAD_LEDGER_PASSWORD_COMMAND: 'echo ledger-pass-123' });
      assert.equal(env.OFFLOAD_LEDGER_PASSWORD_COMMAND, undefined);
      assert.equal(fromEnv(env as Record<string, string>).ledgerPassword, 'ledger-pass-123');
    });

    it('never shows the command output when it fails', () => {
      assert.throws(
        () => resolveKeyCommands({ OFFLOAD_LEDGER_PASSWORD_COMMAND: 'echo leaked-pass-999; exit 3' }),
        (err: unknown) =>
          err instanceof ConfigError &&
          /OFFLOAD_LEDGER_PASSWORD_COMMAND: the command failed \(exit 3\)/.test(err.message) &&
          !err.message.includes('leaked-pass-999'),
      );
    });

    it('is a configured secret, as is the password inside the URL, written or decoded', () => {
      const c = fromEnv({ OFFLOAD_LEDGER: URL_WITH_PASSWORD, OFFLOAD_LEDGER_PASSWORD: 'other-password-1' });
      const secrets = configSecrets(c);
      for (const s of ['other-password-1', 's3cr%2Ft-pw', 's3cr/t-pw']) assert.ok(secrets.includes(s), s);
      const line = `connect ${c.ledgerUrl} failed for s3cr/t-pw and other-password-1`;
      const shown = redact(line, secrets);
      assert.ok(!/s3cr|other-password/.test(shown), shown);
      assert.ok(shown.includes('db.example.com:5432/offload'), 'the rest of the URL stays readable');
    });

    it("masks a URL's password in any text even when it is not configured, however short", () => {
      assert.equal(redact('dial postgresql://bo:pw@db/offload now'), `dial postgresql://bo:${REDACTED}@db/offload now`);
      assert.equal(redact('see https://example.com/a:b@c'), 'see https://example.com/a:b@c', 'no userinfo: untouched');
    });

    it('names the ledger without its password wherever the config is shown', () => {
      const c = fromEnv({ OFFLOAD_LEDGER: URL_WITH_PASSWORD });
      assert.equal(ledgerLabel(c), 'team ledger postgres://ana@db.example.com:5432/offload');
      assert.equal(ledgerLabel(fromEnv({})), '/home/me/.local/share/offload/ledger.sqlite');
      assert.equal(withoutPassword('postgres://ana@db/x'), 'postgres://ana@db/x');
    });

    it("accepts libpq's unix-socket form with credentials and no host, and keeps its password secret", () => {
      const url = 'postgresql://ana:s3cret-pw@/offload?host=/var/run/postgresql';
      const c = fromEnv({ OFFLOAD_LEDGER: url });
      assert.equal(c.ledgerUrl, url);
      assert.equal(ledgerLabel(c), 'team ledger postgresql://ana@/offload?host=/var/run/postgresql');
      assert.deepEqual(ledgerUrlSecrets(url), ['s3cret-pw']);
      assert.equal(withoutPassword('postgresql://ana@/offload?host=/s'), 'postgresql://ana@/offload?host=/s');
    });
  });

  describe('in VS Code', () => {
    const host = { workspaceFolders: ['/ws'], defaultLedgerPath: '/data/ledger.sqlite' };

    it('reads offload.ledgerUrl and the password from SecretStorage into the config', () => {
      const url = 'postgres://ana@db.example.com/offload';
      const c = parseConfig(
        configInputFromSettings((name) => (name === 'ledgerUrl' ? url : undefined), {
          ...host,
          ledgerPassword: 'from-secret-storage',
        }),
      );
      assert.deepEqual(
        [c.ledgerUrl, c.ledgerPassword, c.ledgerPath],
        [url, 'from-secret-storage', '/data/ledger.sqlite'],
      );
    });

    it('copies the team ledger into MCP client configs without its password, asking for a password command', () => {
      const c = parseConfig({
        sandboxRoots: ['/a'],
        ledgerPath: '/l.sqlite',
        ledgerUrl: URL_WITH_PASSWORD,
        ledgerPassword: 'pw-123456',
      });
      const env = workerEnv(c, new Set(['ledgerUrl']));
      assert.equal(env.OFFLOAD_LEDGER, 'postgres://ana@db.example.com:5432/offload');
      assert.match(env.OFFLOAD_LEDGER_PASSWORD_COMMAND ?? '', /^<a command that prints the team ledger password/);
      assert.ok(!/s3cr|pw-123456/.test(JSON.stringify(env)));
    });
  });
});
