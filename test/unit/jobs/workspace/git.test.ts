import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import {
  changedFiles,
  diff,
  isGitRepo,
  snapshot,
  truncateDiff,
  truncationMarker,
} from '../../../../src/jobs/workspace/git';

const run = (cwd: string, ...args: string[]) => execa('git', args, { cwd }).then((r) => r.stdout);

describe('workspace git (snapshot, changed files, diff)', () => {
  let dir: string;
  const write = (p: string, s: string) => {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), s);
  };
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'offload-git-')));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function initRepo(commit: boolean): Promise<void> {
    await run(dir, 'init', '-q');
    await run(dir, 'config', 'user.email', 't@example.com');
    await run(dir, 'config', 'user.name', 't');
    write('src/a.js', 'a\n');
    write('src/b.js', 'b\n');
    write('.gitignore', 'build/\n');
    if (commit) {
      await run(dir, 'add', '-A');
      await run(dir, 'commit', '-qm', 'init');
    }
  }

  it('tells a git work tree from a plain directory', async () => {
    assert.equal(await isGitRepo(dir), false);
    await initRepo(false);
    assert.equal(await isGitRepo(join(dir, 'src')), true);
  });

  it('reports files the job added, modified and deleted, and leaves index, HEAD and status untouched', async () => {
    await initRepo(true);
    write('src/pre-existing-dirty.js', 'dirty before the job\n');
    await run(dir, 'add', 'src/pre-existing-dirty.js');
    const headBefore = await run(dir, 'rev-parse', 'HEAD');
    const statusBefore = await run(dir, 'status', '--porcelain');
    const before = await snapshot(dir);
    assert.equal(before.head, headBefore);
    assert.equal(await run(dir, 'status', '--porcelain'), statusBefore, 'snapshot changes nothing');
    write('src/a.js', 'a changed\n');
    unlinkSync(join(dir, 'src/b.js'));
    write('src/new file.js', 'new\n');
    write('build/out.js', 'ignored\n');
    assert.deepEqual(await changedFiles(dir, before), ['src/a.js', 'src/b.js', 'src/new file.js']);
    assert.equal(await run(dir, 'rev-parse', 'HEAD'), headBefore);
    assert.match(await run(dir, 'diff', '--cached', '--name-only'), /^src\/pre-existing-dirty\.js$/);
    assert.equal(await run(dir, 'rev-list', '--count', 'HEAD'), '1', 'no commit was made');
  });

  it('works in a repository with no commits', async () => {
    await initRepo(false);
    const before = await snapshot(dir);
    assert.equal(before.head, null);
    write('src/a.js', 'a2\n');
    assert.deepEqual(await changedFiles(dir, before), ['src/a.js']);
    const d = await diff(dir, before, 10_000);
    assert.match(d.text, /^diff --git a\/src\/a\.js b\/src\/a\.js$/m);
    assert.match(d.text, /^-a$/m);
    assert.match(d.text, /^\+a2$/m);
    assert.equal(
      existsSync(join(dir, '.git/refs/heads/master')) || existsSync(join(dir, '.git/refs/heads/main')),
      false,
      'no commit was made',
    );
  });

  it('gives paths relative to a subfolder, with changes elsewhere in the repo as ../', async () => {
    await initRepo(true);
    const before = await snapshot(join(dir, 'src'));
    write('src/a.js', 'x\n');
    write('docs/readme.md', 'y\n');
    assert.deepEqual(await changedFiles(join(dir, 'src'), before), ['../docs/readme.md', 'a.js']);
  });

  it('snapshots a plain directory through a shadow repository without creating .git in it', async () => {
    write('a.txt', '1\n');
    write('node_modules/x/index.js', 'dep\n');
    const before = await snapshot(dir);
    assert.ok(before.shadowGitDir);
    write('a.txt', '2\n');
    write('node_modules/x/index.js', 'dep changed\n');
    assert.deepEqual(await changedFiles(dir, before), ['a.txt']);
    assert.match((await diff(dir, before, 10_000)).text, /^\+2$/m);
    assert.equal(existsSync(join(dir, '.git')), false);
    const again = await snapshot(dir);
    assert.notEqual(
      again.shadowGitDir,
      before.shadowGitDir,
      'each snapshot has its own shadow GIT_DIR, so removing one leaves the others',
    );
    for (const s of [before, again]) rmSync(s.shadowGitDir!, { recursive: true, force: true });
  });

  it("sees a same-size edit made in the index's last second (racy git: the throwaway index keeps the real one's mtime)", async () => {
    await initRepo(false);
    await run(dir, 'config', 'core.trustctime', 'false'); // only size and whole-second mtime tell the edit
    await run(dir, 'config', 'core.checkStat', 'minimal'); // apart, as for an edit within the same second
    const file = join(dir, 'src/a.js');
    const past = new Date(Date.now() - 100_000); // a second long past, so "now" is never in it
    utimesSync(file, past, past);
    await run(dir, 'add', '-A');
    const before = await snapshot(dir);
    writeFileSync(file, 'A\n'); // same size as 'a\n'
    utimesSync(file, past, past); // same stat data as the index entry …
    utimesSync(join(dir, '.git', 'index'), past, past); // … and no older than the index: racily clean
    assert.deepEqual(await changedFiles(dir, before), ['src/a.js']);
  });

  it('reports an unchanged tree as no files and an empty diff', async () => {
    await initRepo(true);
    const before = await snapshot(dir);
    assert.deepEqual(await changedFiles(dir, before), []);
    assert.deepEqual(await diff(dir, before, 100), { text: '', bytes: 0, truncated: false });
  });

  it('truncates a large diff at maxBytes with a marker, and reports the full size', async () => {
    await initRepo(true);
    const before = await snapshot(dir);
    write('src/a.js', Array.from({ length: 400 }, (_, i) => `line ${i}`).join('\n'));
    const full = await diff(dir, before, 1_000_000);
    const cut = await diff(dir, before, 300);
    assert.equal(cut.bytes, full.bytes);
    assert.ok(cut.truncated);
    assert.ok(full.text.startsWith(cut.text.slice(0, cut.text.indexOf('\n[diff truncated'))));
    assert.match(cut.text, new RegExp(`\\n\\[diff truncated: showing \\d+ of ${full.bytes} bytes\\]\\n$`));
    assert.ok(Buffer.byteLength(cut.text.split('\n[diff truncated')[0]!) <= 300);
    assert.ok(readFileSync(join(dir, 'src/a.js'), 'utf8').length > 300);
  });

  it('never splits a multi-byte character when truncating', () => {
    const marker = Buffer.byteLength(truncationMarker(60, 200));
    const r = truncateDiff('é'.repeat(100), marker + 3);
    assert.equal(r.text.split('\n')[0], 'é');
    assert.equal(r.bytes, 200);
  });

  it('caps the returned diff, marker included, at exactly max_diff_bytes (a 40-byte cap once returned 82)', () => {
    const text = 'diff --git a/x b/x\n' + '+line\n'.repeat(50);
    for (const cap of [0, 10, 40, 45, 60, 100, 299]) {
      const r = truncateDiff(text, cap);
      assert.ok(Buffer.byteLength(r.text) <= cap, `cap ${cap}: ${Buffer.byteLength(r.text)} bytes`);
      assert.equal(r.truncated, true);
      assert.equal(r.bytes, Buffer.byteLength(text));
    }
    assert.equal(truncateDiff(text, 40).text, '', 'a cap smaller than the marker keeps nothing');
    assert.match(truncateDiff(text, 100).text, /\[diff truncated: showing \d+ of 319 bytes\]\n$/);
  });

  it('never exceeds the cap for any text and cap (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.nat(400), (text, cap) => {
        const r = truncateDiff(text, cap);
        assert.ok(Buffer.byteLength(r.text) <= Math.max(cap, r.truncated ? 0 : Buffer.byteLength(text)));
        if (!r.truncated) assert.equal(r.text, text);
        else assert.ok(text.startsWith(r.text.split('\n[diff truncated')[0]!));
      }),
    );
  });
});
