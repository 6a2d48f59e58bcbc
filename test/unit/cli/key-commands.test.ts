import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/config';
import { cliConfig } from '../../../src/cli/args';
import { KEY_VARIABLES, resolveKeyCommands } from '../../../src/cli/key-commands';

describe('NAME_COMMAND keys (standalone worker)', () => {
  it('runs each key command once and uses its trimmed output as the key', () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    for (const name of KEY_VARIABLES) env[`${name}_COMMAND`] = `printf '  planted-%s-from-command\\n' ${name}`;
    const out = resolveKeyCommands(env);
    for (const name of KEY_VARIABLES) {
      assert.equal(out[name], `planted-${name}-from-command`);
      assert.equal(out[`${name}_COMMAND`], undefined);
    }
  });

  it('feeds the config: OPENAI_API_KEY_COMMAND gives openaiApiKey, OFFLOAD_MCP_TOKEN_COMMAND the MCP token', () => {
    const config = cliConfig({
      PATH: process.env.PATH,
      OPENAI_API_KEY_COMMAND: 'echo planted-openai-cmd',
      OFFLOAD_MCP_TOKEN_COMMAND: 'echo planted-mcp-token-cmd',
      OFFLOAD_LEDGER: '/tmp/x.sqlite',
    });
    assert.equal(config.openaiApiKey, 'planted-openai-cmd');
    assert.equal(config.mcpToken, 'planted-mcp-token-cmd');
  });

  it('keeps a key that is set and does not run its command', () => {
    const out = resolveKeyCommands({ OPENAI_API_KEY: 'set-key', OPENAI_API_KEY_COMMAND: 'exit 7' });
    assert.equal(out.OPENAI_API_KEY, 'set-key');
  });

  const failing: [string, RegExp][] = [
    ['echo planted-partial-output; exit 3', /^OPENAI_API_KEY_COMMAND: the command failed \(exit 3\)/],
    ['true', /^OPENAI_API_KEY_COMMAND: the command printed nothing/],
    ['no-such-command-offload-test', /^OPENAI_API_KEY_COMMAND: the command failed/],
  ];
  for (const [command, message] of failing) {
    it(`stops start-up naming the variable, never the output, when the command is ${JSON.stringify(command)}`, () => {
      assert.throws(
        () => resolveKeyCommands({ PATH: process.env.PATH, OPENAI_API_KEY_COMMAND: command }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.match(e.message, message);
          assert.ok(!e.message.includes('planted-partial-output'));
          return true;
        },
      );
    });
  }
});
