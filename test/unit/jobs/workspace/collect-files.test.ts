import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectFiles, displayPath } from '../../../../src/jobs/workspace/collect-files';

describe('collectFiles (what a folder gives a model)', () => {
  let root: string;
  const limits = { maxFiles: 100, maxBytes: 100_000 };
  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'offload-collect-')));
    const files: Record<string, string> = {
      '.gitignore': 'generated/\n*.log\n',
      'src/a.ts': 'a',
      'src/.gitignore': 'local.ts\n',
      'src/local.ts': 'ignored by src/.gitignore',
      'generated/out.ts': 'ignored',
      'debug.log': 'ignored',
      '.env': 'DB_PASSWORD=planted-env-value',
      '.env.production': 'X=planted-env-prod',
      'certs/server.key': 'planted-key',
      'certs/server.pem': 'planted-pem',
      '.npmrc': '//registry/:_authToken=planted-npm',
      '.ssh/id_rsa': 'planted-rsa',
      '.env.example': 'DB_PASSWORD=',
      'README.md': 'readme',
    };
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(root, p, '..'), { recursive: true });
      writeFileSync(join(root, p), text);
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const read = async (paths: string[], extra: { allowSecretFiles?: boolean } = {}) => {
    const found = await collectFiles(paths, [root], { ...limits, ...extra });
    return {
      names: found.files.map((f) => displayPath(f.path, [root])).sort(),
      text: found.files.map((f) => f.text).join('\n'),
      skipped: found.skipped,
    };
  };

  it('honours .gitignore files (nested ones too) and never reads .env, key or credential files', async () => {
    const { names, text } = await read([root]);
    assert.deepEqual(names, ['.env.example', '.gitignore', 'README.md', 'src/.gitignore', 'src/a.ts']);
    assert.ok(!/planted/.test(text), text);
  });

  it('honours the .gitignore of a parent folder when a subfolder is asked for', async () => {
    mkdirSync(join(root, 'src/generated'));
    writeFileSync(join(root, 'src/generated/x.ts'), 'ignored by the root .gitignore');
    const { names } = await read([join(root, 'src')]);
    assert.deepEqual(names, ['src/.gitignore', 'src/a.ts']);
  });

  it('reads secret files only when OFFLOAD_READ_SECRET_FILES allows it', async () => {
    const { names } = await read([root], { allowSecretFiles: true });
    for (const n of ['.env', '.env.production', 'certs/server.key', '.npmrc', '.ssh/id_rsa'])
      assert.ok(names.includes(n), n);
  });
});
