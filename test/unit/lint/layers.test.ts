import { strict as assert } from 'node:assert';
import { ESLint } from 'eslint';

/** The layer rule of DESIGN.md, checked by linting imports as if they stood in each folder. */
describe('the layer lint rule (eslint.config.mjs)', function () {
  this.timeout(60_000);
  // The snippets stand in files that do not exist, which the type-aware rules' project service
  // cannot type: they are turned off here, and only the layer rule is read.
  const eslint = new ESLint({
    overrideConfig: {
      languageOptions: { parserOptions: { projectService: false } },
      rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/require-await': 'off' },
    },
  });

  async function errors(filePath: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath });
    const fatal = (result?.messages ?? []).filter((m) => m.fatal);
    assert.deepEqual(
      fatal.map((m) => m.message),
      [],
      'the snippet was linted, not refused',
    );
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  }

  const cases: { file: string; code: string; allowed: boolean }[] = [
    {
      file: 'src/core/x.ts',
      code: "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
      allowed: false,
    },
    { file: 'src/core/x.ts', code: "import { execa } from 'execa';\nexport const x = execa;\n", allowed: false },
    {
      file: 'src/core/x.ts',
      code: "import type { Ledger } from '../ledger/ledger';\nexport type X = Ledger;\n",
      allowed: false,
    },
    { file: 'src/core/x.ts', code: "import { admit } from './budget';\nexport const x = admit;\n", allowed: true },
    {
      file: 'src/ledger/x.ts',
      code: "import type { JobRecord } from '../core/jobs';\nexport type X = JobRecord;\n",
      allowed: true,
    },
    {
      file: 'src/ledger/x.ts',
      code: "import type { JobEngine } from '../jobs/engine';\nexport type X = JobEngine;\n",
      allowed: false,
    },
    {
      file: 'src/mcp/tools/x.ts',
      code: "import type { Ledger } from '../../ledger/ledger';\nexport type X = Ledger;\n",
      allowed: false,
    },
    { file: 'src/jobs/x.ts', code: "import * as vscode from 'vscode';\nexport const x = vscode;\n", allowed: false },
    { file: 'src/vscode/x.ts', code: "import * as vscode from 'vscode';\nexport const x = vscode;\n", allowed: true },
    {
      file: 'src/jobs/x.ts',
      code: "import { startScriptedGateway } from '../../test/support/scripted-gateway';\nexport const x = startScriptedGateway;\n",
      allowed: false,
    },
  ];
  for (const c of cases) {
    const what = c.code.split('\n')[0];
    it(`${c.allowed ? 'allows' : 'forbids'} \`${what}\` in ${c.file}`, async () => {
      const found = await errors(c.file, c.code);
      assert.equal(found.length === 0, c.allowed, found.join('; '));
    });
  }
});
