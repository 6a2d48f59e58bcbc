import { strict as assert } from 'node:assert';
import { childEnv } from '../../../src/core/child-env';

describe('childEnv', () => {
  const host = {
    PATH: '/usr/bin',
    HOME: '/home/me',
    LANG: 'C.UTF-8',
    LC_CTYPE: 'C.UTF-8',
    TMPDIR: '/tmp',
    OPENAI_API_KEY: 'sk-planted-openai-0001',
    ONEAPI_API_KEY: 'planted-oneapi-0002',
    FALLBACK_API_KEY: 'planted-fallback-0003',
    OPENAI_ADMIN_KEY: 'planted-admin-0004',
    OFFLOAD_MCP_TOKEN: 'planted-mcp-token-0005',
    OFFLOAD_ADAPTER_KEY: 'planted-adapter-0006',
    AWS_SECRET_ACCESS_KEY: 'planted-aws-0007',
    MY_TOOL_HOME: '/opt/tool',
    LEAKY: 'prefix planted-admin-0004',
  };

  it('passes only the allow-list (PATH, HOME, locale, temp), never a key of the host', () => {
    const env = childEnv(host);
    assert.deepEqual(Object.keys(env).sort(), ['HOME', 'LANG', 'LC_CTYPE', 'PATH', 'TMPDIR']);
  });

  it('adds the names the user allows (OFFLOAD_CHILD_ENV), but drops any variable whose value holds a configured secret', () => {
    const env = childEnv(host, {
      extraNames: ['MY_TOOL_HOME', 'LEAKY', 'OPENAI_API_KEY'],
      secrets: ['sk-planted-openai-0001', 'planted-admin-0004'],
    });
    assert.equal(env.MY_TOOL_HOME, '/opt/tool');
    assert.equal(env.LEAKY, undefined);
    assert.equal(env.OPENAI_API_KEY, undefined);
  });

  it('sets the overrides last (the job key and adapter URL of a Claude child)', () => {
    const env = childEnv(host, { overrides: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:1', PATH: '/x' } });
    assert.equal(env.ANTHROPIC_BASE_URL, 'http://127.0.0.1:1');
    assert.equal(env.PATH, '/x');
  });
});
