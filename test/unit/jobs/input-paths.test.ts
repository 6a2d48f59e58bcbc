import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../src/core/errors';
import { fsProblem, resolveExisting, type ResolvePath } from '../../../src/jobs/input-paths';

/** A resolver that fails the way node:fs does, with an errno code. */
const failing =
  (code: string): ResolvePath =>
  async () => {
    throw Object.assign(new Error(`${code}: raw fs text, realpath '/x'`), { code });
  };
const identity: ResolvePath = async (p) => p;

describe('input paths (existence checks before a job exists)', () => {
  let dir = '';
  let file = '';
  before(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'offload-input-paths-')));
    file = join(dir, 'a.txt');
    writeFileSync(file, 'a');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const codes: [string, RegExp][] = [
    ['ENOENT', /^\/p does not exist$/],
    ['ENOTDIR', /does not exist \(a part of it is a file/],
    ['ENAMETOOLONG', /is too long for the file system/],
    ['EACCES', /cannot be read \(permission denied\)/],
    ['EPERM', /cannot be read \(permission denied\)/],
    ['ELOOP', /too many levels of symbolic links/],
  ];
  for (const [code, says] of codes) {
    it(`turns ${code} from the resolver into an InputError naming the field, without the raw code`, async () => {
      await assert.rejects(resolveExisting(failing(code), '/p', 'paths[2]', 'file'), (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.equal(e.field, 'paths[2]');
        assert.match(e.message.slice('paths[2]: '.length), says);
        assert.doesNotMatch(e.message, new RegExp(code));
        return true;
      });
    });
  }

  it('rethrows errors that are not about the path (no code it knows), so faults are not disguised as bad input', async () => {
    await assert.rejects(
      resolveExisting(failing('EIO'), '/p', 'cwd', 'folder'),
      (e: unknown) => !(e instanceof InputError) && /EIO/.test(String(e)),
    );
    assert.equal(fsProblem('EIO', '/p'), undefined);
  });

  it("passes the resolver's own InputError through unchanged", async () => {
    const outside: ResolvePath = async (_p, field) => {
      throw new InputError(field, '/etc is outside SANDBOX_ROOT (/w)');
    };
    await assert.rejects(resolveExisting(outside, '/etc', 'allowed_dirs[0]', 'folder'), {
      message: 'allowed_dirs[0]: /etc is outside SANDBOX_ROOT (/w)',
    });
  });

  it('checks the kind: a folder where a file is needed and the other way round; returns the resolved path when it fits', async () => {
    await assert.rejects(resolveExisting(identity, dir, 'input_refs[0]', 'file'), {
      message: `input_refs[0]: ${dir} is not a file; give a file (analyze reads folders)`,
    });
    await assert.rejects(resolveExisting(identity, file, 'cwd', 'folder'), {
      message: `cwd: ${file} is not a folder; give a folder`,
    });
    assert.equal(await resolveExisting(identity, file, 'paths[0]', 'file or folder'), file);
    assert.equal(await resolveExisting(identity, dir, 'paths[0]', 'file or folder'), dir);
    await assert.rejects(resolveExisting(identity, join(dir, 'gone'), 'paths[1]', 'file or folder'), {
      message: `paths[1]: ${join(dir, 'gone')} does not exist`,
    });
  });
});
