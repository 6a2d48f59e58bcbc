import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolJson } from '../support/app-fixture';
import { startScriptedGateway } from '../support/scripted-gateway';
import { connectWorker, WORKER } from '../support/worker-client';

describe('NAME_COMMAND keys in the built worker', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'offload-keycmd-')));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the output of OPENAI_API_KEY_COMMAND as the gateway key (the gateway refuses any other key)', async () => {
    const key = 'sk-from-command-planted-0001';
    const gateway = await startScriptedGateway({
      apiKey: key,
      script: [{ text: 'ok', usage: { prompt_tokens: 10, completion_tokens: 2 } }],
    });
    writeFileSync(join(dir, 'key.sh'), `#!/bin/sh\nprintf '%s\\n' '${key}'\n`, { mode: 0o755 });
    const { client, stderr } = await connectWorker({
      OPENAI_API_KEY: '',
      ONEAPI_API_KEY: '',
      OPENAI_API_KEY_COMMAND: join(dir, 'key.sh'),
      OPENAI_BASE_URL: gateway.url,
      OFFLOAD_LEDGER: join(dir, 'ledger.sqlite'),
      SANDBOX_ROOT: dir,
    });
    try {
      const r = toolJson(
        await client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'say ok' } }),
      );
      assert.equal(r.job_status, 'completed', JSON.stringify(r));
      assert.equal(r.output, 'ok');
      assert.equal(gateway.requests[0]!.headers.authorization, `Bearer ${key}`);
      assert.ok(!stderr().includes(key));
    } finally {
      await client.close();
      await gateway.close();
    }
  });

  it('stops start-up when the command fails, naming the variable and never its output (exit 2)', () => {
    const r = spawnSync(process.execPath, [WORKER, 'spend'], {
      env: {
        ...process.env,
        OPENAI_API_KEY: '',
        ONEAPI_API_KEY: '',
        OPENAI_API_KEY_COMMAND: 'echo planted-partial-0002; exit 4',
        OFFLOAD_LEDGER: join(dir, 'ledger.sqlite'),
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /OPENAI_API_KEY_COMMAND: the command failed \(exit 4\)/);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('planted-partial-0002'));
  });
});
