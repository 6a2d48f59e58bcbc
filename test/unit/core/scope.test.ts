import { strict as assert } from 'node:assert';
import { checkScope } from '../../../src/core/scope';

describe('checkScope (scoped_patch)', () => {
  const cases: { name: string; changed: string[]; paths: string[]; ok: boolean }[] = [
    {
      name: 'accepts files under a declared folder',
      changed: ['src/a.ts', 'tests/a.test.ts'],
      paths: ['src', 'tests'],
      ok: true,
    },
    { name: 'accepts a declared file itself', changed: ['README.md'], paths: ['README.md'], ok: true },
    { name: 'rejects a sibling that only shares a prefix', changed: ['srcx/a.ts'], paths: ['src'], ok: false },
    { name: 'rejects a file outside every path', changed: ['package.json', 'src/a.ts'], paths: ['src'], ok: false },
    { name: 'normalises ./ and trailing slashes', changed: ['./src/a.ts'], paths: ['src/'], ok: true },
    { name: 'accepts no changes', changed: [], paths: ['src'], ok: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(checkScope(c.changed, c.paths, 0).ok, c.ok);
    });
  }

  it('names the files outside the scope in its check line', () => {
    const v = checkScope(['package.json', 'src/a.ts'], ['src', 'tests'], 10);
    assert.deepEqual(v.outside, ['package.json']);
    assert.equal(v.line, 'scoped_patch: failed (changed outside src, tests: package.json)');
  });

  it('fails a diff larger than max_diff_bytes and passes one that fits', () => {
    assert.match(checkScope(['src/a.ts'], ['src'], 5001, 5000).line, /over max_diff_bytes 5000/);
    assert.equal(checkScope(['src/a.ts'], ['src'], 5000, 5000).line, 'scoped_patch: passed (src)');
  });
});
