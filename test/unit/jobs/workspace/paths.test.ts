import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../../src/core/errors';
import { realpathLenient, resolveAllInSandbox, resolveInSandbox } from '../../../../src/jobs/workspace/paths';

describe('workspace paths (sandbox with symlinks resolved)', () => {
  let tmp: string;
  let root: string;
  let outside: string;
  beforeEach(() => {
    tmp = realpathSync(mkdtempSync(join(tmpdir(), 'offload-paths-')));
    root = join(tmp, 'root');
    outside = join(tmp, 'outside');
    mkdirSync(join(root, 'src'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, 'src/a.ts'), 'a');
    writeFileSync(join(outside, 'secret.txt'), 's');
    symlinkSync(outside, join(root, 'escape'));
    symlinkSync(join(root, 'src'), join(tmp, 'link-to-src'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('accepts a file inside the root and the root itself', async () => {
    assert.equal(await resolveInSandbox(join(root, 'src/a.ts'), [root], 'input_refs[0]'), join(root, 'src/a.ts'));
    assert.equal(await resolveInSandbox(`${root}/`, [root], 'cwd'), root);
  });

  it('rejects a symlink inside the root that escapes it, naming the field and the real target', async () => {
    await assert.rejects(resolveInSandbox(join(root, 'escape/secret.txt'), [root], 'input_refs[1]'), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.field, 'input_refs[1]');
      assert.match(
        e.message,
        /^input_refs\[1\]: .*escape\/secret\.txt resolves \(through a symlink\) to .*outside\/secret\.txt, which is outside SANDBOX_ROOT/,
      );
      return true;
    });
  });

  it('accepts a path outside the root that is a symlink into it', async () => {
    assert.equal(await resolveInSandbox(join(tmp, 'link-to-src/a.ts'), [root], 'cwd'), join(root, 'src/a.ts'));
  });

  it('matches through a symlinked root (as macOS /tmp is)', async () => {
    const linkRoot = join(tmp, 'root-link');
    symlinkSync(root, linkRoot);
    assert.equal(await resolveInSandbox(join(root, 'src'), [linkRoot], 'cwd'), join(root, 'src'));
  });

  it('resolves a not-yet-existing file through its existing parents', async () => {
    assert.equal(await realpathLenient(join(tmp, 'link-to-src/new/file.ts')), join(root, 'src/new/file.ts'));
    await assert.rejects(resolveInSandbox(join(root, 'escape/new.txt'), [root], 'f'), /outside SANDBOX_ROOT/);
  });

  it('rejects `..` that climbs out, and relative paths unless a base is given', async () => {
    await assert.rejects(
      resolveInSandbox(join(root, '../outside'), [root], 'allowed_dirs[0]'),
      new RegExp(
        `^InputError: allowed_dirs\\[0\\]: ${outside} is outside SANDBOX_ROOT \\(${root}\\)$`.replace(/\//g, '\\/'),
      ),
    );
    await assert.rejects(resolveInSandbox('src/a.ts', [root], 'f'), /f: src\/a\.ts is not an absolute path/);
    assert.equal(await resolveInSandbox('src/a.ts', [root], 'f', root), join(root, 'src/a.ts'));
  });

  it('checks a list element by element', async () => {
    await assert.rejects(
      resolveAllInSandbox([join(root, 'src'), outside], [root], 'allowed_dirs'),
      /allowed_dirs\[1\]:/,
    );
  });
});
