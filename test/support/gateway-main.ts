/**
 * Runnable entry of the scripted gateway (stand-in for the model provider), bundled as
 * dist/scripted-gateway.js: `node dist/scripted-gateway.js --script demo --port 0 [--api-key K] [--delay-ms N]`.
 * Prints one JSON line `{"url": "http://127.0.0.1:PORT/v1", "script": NAME}` on stdout, logs one
 * line per request on stderr, and serves until killed (SIGINT/SIGTERM close it cleanly).
 * Scripts: `demo` ({@link demoScript}: the Claude Code fix-the-test loop plus the summary call),
 * `summary` ({@link summaryScript}), `queue` ({@link queueScript}: "ok" after `--delay-ms`, default 0; the
 * queue bench's gateway in its own process). Exits 2 on a bad argument.
 */
import { demoScript, summaryScript } from './demo-script';
import { queueScript } from './queue-script';
import { GATEWAY_LABEL, startScriptedGateway, type Script } from './scripted-gateway';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const name = arg('script') ?? 'demo';
  const delayMs = Number(arg('delay-ms') ?? 0);
  const scripts: Record<string, Script> = { demo: demoScript, summary: summaryScript, queue: queueScript(delayMs) };
  const script = scripts[name];
  const port = Number(arg('port') ?? 0);
  if (!script || !Number.isInteger(port) || port < 0 || !Number.isFinite(delayMs) || delayMs < 0) {
    process.stderr.write(
      `${GATEWAY_LABEL}: usage: --script ${Object.keys(scripts).join('|')} [--port N] [--api-key K] [--delay-ms N]\n`,
    );
    process.exit(2);
  }
  const gw = await startScriptedGateway({
    script,
    port,
    apiKey: arg('api-key'),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write(`${JSON.stringify({ url: gw.url, script: name })}\n`);
  const stop = () => void gw.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
