import assert from 'node:assert/strict';
import { InputError } from '../../../src/core/errors';
import {
  assertInsideRoots,
  checkInsideRoots,
  isInside,
  normalizeAbsolute,
  type PathFlavor,
} from '../../../src/core/sandbox';

describe('sandbox (core)', () => {
  describe('isInside', () => {
    const table: [string, string, boolean, PathFlavor?][] = [
      ['/home/me', '/home/me', true],
      ['/home/me/', '/home/me', true],
      ['/home/me', '/home/me/', true],
      ['/home/me/a/b.ts', '/home/me', true],
      ['/home/meow', '/home/me', false],
      ['/home/me/../other', '/home/me', false],
      ['/home/me/a/../../me/b', '/home/me', true],
      ['/home/me/./a//b', '/home/me', true],
      ['/home', '/home/me', false],
      ['/etc', '/home/me', false],
      ['/anything', '/', true],
      ['/', '/', true],
      ['C:\\Users\\Me\\proj\\a.ts', 'c:\\users\\me', true, 'win32'],
      ['C:\\Users\\Me2', 'C:\\Users\\Me', false, 'win32'],
      ['C:/Users/Me/x', 'C:\\Users\\Me\\', true, 'win32'],
      ['D:\\x', 'C:\\', false, 'win32'],
    ];
    for (const [p, root, expected, flavor] of table) {
      it(`${expected ? 'puts' : 'keeps'} ${p} ${expected ? 'inside' : 'outside'} ${root}${flavor ? ` (${flavor})` : ''}`, () => {
        assert.equal(isInside(p, root, flavor ?? 'posix'), expected);
      });
    }
  });

  it('normalizes away dot segments and trailing slashes but keeps the filesystem root', () => {
    assert.equal(normalizeAbsolute('/a/./b/../c/', 'posix'), '/a/c');
    assert.equal(normalizeAbsolute('/', 'posix'), '/');
    assert.equal(normalizeAbsolute('C:\\a\\', 'win32'), 'C:\\a');
    assert.equal(normalizeAbsolute('C:\\', 'win32'), 'C:\\');
    assert.throws(() => normalizeAbsolute('a/b', 'posix'), /not an absolute path/);
  });

  describe('checkInsideRoots', () => {
    const roots = ['/home/me', '/srv/data/'];
    const table: [string, string, string | null][] = [
      ['/home/me/proj', 'allowed_dirs[0]', null],
      ['/srv/data', 'allowed_dirs[1]', null],
      ['/etc', 'allowed_dirs[0]', 'allowed_dirs[0]: /etc is outside SANDBOX_ROOT (/home/me, /srv/data/)'],
      [
        '/home/me/../../etc/passwd',
        'input_refs[2]',
        'input_refs[2]: /etc/passwd is outside SANDBOX_ROOT (/home/me, /srv/data/)',
      ],
      ['proj/a.ts', 'cwd', 'cwd: proj/a.ts is not an absolute path'],
    ];
    for (const [p, field, message] of table) {
      it(`${message ? 'rejects' : 'accepts'} ${p} as ${field}`, () => {
        const v = checkInsideRoots(p, roots, field, { flavor: 'posix' });
        assert.deepEqual(v, message ? { ok: false, message } : { ok: true, path: normalizeAbsolute(p, 'posix') });
      });
    }
    it('allows nothing when no root is configured', () => {
      assert.deepEqual(checkInsideRoots('/home/me', [], 'cwd', { flavor: 'posix' }), {
        ok: false,
        message: 'cwd: no SANDBOX_ROOT is configured, so no path is allowed',
      });
    });
    it('names the roots as the caller labels them', () => {
      const v = checkInsideRoots('/etc', ['/w'], 'cwd', { flavor: 'posix', rootsLabel: 'the workspace folders' });
      assert.equal(v.ok ? '' : v.message, 'cwd: /etc is outside the workspace folders (/w)');
    });
  });

  it('assertInsideRoots throws an InputError that names the field', () => {
    assert.equal(assertInsideRoots('/home/me/a/', ['/home/me'], 'cwd', { flavor: 'posix' }), '/home/me/a');
    assert.throws(
      () => assertInsideRoots('/etc', ['/home/me'], 'allowed_dirs[0]', { flavor: 'posix' }),
      (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.equal(e.field, 'allowed_dirs[0]');
        assert.equal(e.message, 'allowed_dirs[0]: /etc is outside SANDBOX_ROOT (/home/me)');
        return true;
      },
    );
  });
});
