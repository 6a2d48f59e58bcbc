import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInSandbox } from '../../../../src/jobs/workspace/paths';
import { openChecked, readHead } from '../../../../src/jobs/workspace/read-checked';

/** Reads `real` under the descriptor rule; undefined when it was refused. */
async function tryRead(real: string, roots: string[]): Promise<string | undefined> {
  const handle = await openChecked(real, roots, 'input_refs[0]').catch(() => undefined);
  if (!handle) return undefined;
  try {
    return (await readHead(handle, 1024)).bytes.toString();
  } finally {
    await handle.close();
  }
}

describe('the descriptor rule (check and read through one file descriptor)', () => {
  let tmp: string;
  let root: string;
  let outside: string;
  beforeEach(() => {
    tmp = realpathSync(mkdtempSync(join(tmpdir(), 'offload-fd-')));
    root = join(tmp, 'root');
    outside = join(tmp, 'outside');
    mkdirSync(join(root, 'dir'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, 'data.txt'), 'INSIDE');
    writeFileSync(join(root, 'dir/data.txt'), 'INSIDE');
    writeFileSync(join(outside, 'data.txt'), 'OUTSIDE');
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('refuses a file swapped for a symlink after the sandbox check (a plain read would have returned the outside bytes)', async () => {
    const real = await resolveInSandbox(join(root, 'data.txt'), [root], 'input_refs[0]');
    rmSync(real);
    symlinkSync(join(outside, 'data.txt'), real);
    assert.equal(readFileSync(real, 'utf8'), 'OUTSIDE'); // what the old readFile(path) did
    await assert.rejects(openChecked(real, [root], 'input_refs[0]'), /ELOOP|symbolic link/);
  });

  it('refuses a file whose parent folder was swapped for a symlink after the check, naming the field', async () => {
    const real = await resolveInSandbox(join(root, 'dir/data.txt'), [root], 'input_refs[0]');
    renameSync(join(root, 'dir'), join(root, 'dir-moved'));
    symlinkSync(outside, join(root, 'dir'));
    assert.equal(readFileSync(real, 'utf8'), 'OUTSIDE');
    await assert.rejects(
      openChecked(real, [root], 'input_refs[0]'),
      /^PathSwappedError: input_refs\[0\]: .* changed while it was opened/,
    );
  });

  it('refuses a path that is not a regular file', async () => {
    await assert.rejects(openChecked(join(root, 'dir'), [root], 'paths[0]'), /paths\[0\]: .* is not a regular file/);
  });

  it('never yields outside bytes while another process keeps swapping the file and its folder for symlinks', async function () {
    this.timeout(30_000);
    // A real second process swaps both the file and its parent folder between real and symlink, as fast as it can.
    mkdirSync(join(tmp, 'spare'));
    writeFileSync(join(tmp, 'spare/data.txt'), 'INSIDE');
    symlinkSync(join(outside, 'data.txt'), join(tmp, 'file-link'));
    symlinkSync(outside, join(tmp, 'dir-link'));
    const swapper = spawn(
      process.execPath,
      [
        '-e',
        `
      const fs = require('node:fs'); const j = require('node:path').join; const t = ${JSON.stringify(tmp)};
      let n = 0;
      for (;;) {
        fs.renameSync(j(t, 'root/data.txt'), j(t, 'file-held')); fs.renameSync(j(t, 'file-link'), j(t, 'root/data.txt'));
        fs.renameSync(j(t, 'root/dir'), j(t, 'dir-held')); fs.renameSync(j(t, 'dir-link'), j(t, 'root/dir'));
        if (++n === 1) process.stdout.write('swapping\\n');
        fs.renameSync(j(t, 'root/data.txt'), j(t, 'file-link')); fs.renameSync(j(t, 'file-held'), j(t, 'root/data.txt'));
        fs.renameSync(j(t, 'root/dir'), j(t, 'dir-link')); fs.renameSync(j(t, 'dir-held'), j(t, 'root/dir'));
      }`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise((resolve) => swapper.stdout.once('data', resolve));
      const seen = new Map<string, number>();
      for (let i = 0; i < 2000; i++) {
        for (const real of [join(root, 'data.txt'), join(root, 'dir/data.txt')]) {
          const text = (await tryRead(real, [root])) ?? 'refused';
          seen.set(text, (seen.get(text) ?? 0) + 1);
        }
      }
      assert.equal(seen.get('OUTSIDE'), undefined, JSON.stringify([...seen]));
      assert.ok((seen.get('INSIDE') ?? 0) > 0, `some reads got through: ${JSON.stringify([...seen])}`);
    } finally {
      swapper.kill('SIGKILL');
    }
  });
});
