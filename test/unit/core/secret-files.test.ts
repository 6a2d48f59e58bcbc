import { strict as assert } from 'node:assert';
import { assertNotSecretFile, isSecretFile } from '../../../src/core/secret-files';

describe('secret files', () => {
  const secret = [
    '.env',
    'app/.env',
    '.env.local',
    'config/prod.env',
    'server.pem',
    'tls/server.key',
    'id_rsa',
    '.ssh/id_ed25519',
    'home/.ssh/config',
    '.npmrc',
    'pkg/.pypirc',
    '.netrc',
    '.git-credentials',
    '.aws/credentials',
    'x/.docker/config.json',
    'keystore.p12',
    '.ssh/',
  ];
  const ordinary = [
    'src/env.ts',
    'README.md',
    '.env.example',
    'id_rsa.pub',
    'src/keys.ts',
    'docs/monkey.md',
    'package.json',
    '.gitignore',
    'src/environment/index.ts',
  ];
  for (const p of secret) it(`treats ${p} as a secret file`, () => assert.equal(isSecretFile(p), true));
  for (const p of ordinary) it(`reads ${p} as an ordinary file`, () => assert.equal(isSecretFile(p), false));

  it('refuses a secret file by name, naming the field and the setting that allows it', () => {
    assert.throws(
      () => assertNotSecretFile('proj/.env', 'paths[1]'),
      /^InputError: paths\[1\]: proj\/\.env is a secret or credential file.*OFFLOAD_READ_SECRET_FILES=1/,
    );
    assert.doesNotThrow(() => assertNotSecretFile('proj/.env', 'paths[1]', true));
    assert.throws(
      () => assertNotSecretFile('home/.ssh', 'allowed_dirs[0]'),
      /^InputError: allowed_dirs\[0\]: home\/\.ssh is a secret/,
    );
    assert.doesNotThrow(() => assertNotSecretFile('proj/src', 'paths[0]'));
  });
});
