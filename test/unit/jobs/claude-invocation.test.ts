import { strict as assert } from 'node:assert';
import { parseConfig } from '../../../src/core/config';
import { StartSchema } from '../../../src/core/requests';
import { claudeArgs, claudeEnv } from '../../../src/jobs/runners/claude-invocation';

describe('claude invocation', () => {
  const config = parseConfig({ sandboxRoots: ['/ws'], ledgerPath: '/tmp/l.sqlite' });
  const request = (checks: { name: string; command: string; timeout_ms: number }[]) =>
    StartSchema.parse({ prompt: 'p', allowed_dirs: ['/ws'], checks });

  it('starts the CLI with deny rules for secret files and the checks as the only allowed Bash commands', () => {
    const args = claudeArgs(request([{ name: 'unit', command: 'npm test', timeout_ms: 1000 }]), config, []);
    const settings = JSON.parse(args[args.indexOf('--settings') + 1]!) as { permissions: { deny: string[] } };
    assert.ok(settings.permissions.deny.includes('Read(./**/.env)'));
    assert.deepEqual(args.slice(args.indexOf('--allowedTools') + 1), ['Bash(npm test)']);
  });

  it('refuses a check command that would close the rule, naming the field', () => {
    assert.throws(
      () => claudeArgs(request([{ name: 'x', command: 'true), Bash, Bash(true', timeout_ms: 1000 }]), config, []),
      /checks\[0\]\.command: holds "\)"/,
    );
  });

  it('gives the child the job key and the allow-listed basics, never a host key', () => {
    const env = claudeEnv(
      {
        PATH: '/bin',
        HOME: '/h',
        OPENAI_API_KEY: 'sk-planted-0001aaaaaaaa',
        OFFLOAD_MCP_TOKEN: 'planted-mcp-0002',
        JAVA_HOME: '/j',
      },
      'http://127.0.0.1:9',
      'job-key-123456',
      { extraNames: ['JAVA_HOME'] },
    );
    assert.equal(env.ANTHROPIC_API_KEY, 'job-key-123456');
    assert.equal(env.JAVA_HOME, '/j');
    assert.equal(env.OPENAI_API_KEY, undefined);
    assert.equal(env.OFFLOAD_MCP_TOKEN, undefined);
  });
});
