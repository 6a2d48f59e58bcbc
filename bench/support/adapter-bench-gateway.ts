/**
 * Child process of the adapter benchmark: the scripted gateway (stand-in for the model provider)
 * answering every chat-completions request with the same short reply and fixed usage. A request
 * whose last message contains "HOLD" waits `--hold-ms` before answering (for the in-flight memory
 * measurement). Prints `{"url": …}` on stdout. The recorded-request list is cleared every second
 * so that a long run does not grow the gateway's memory.
 */
import { startScriptedGateway, type Reply } from '../../test/support/scripted-gateway';

const REPLY_TEXT = 'Done. I changed the comparison in src/math.js and the unit test passes now; nothing else needed.';

async function main(): Promise<void> {
  const i = process.argv.indexOf('--hold-ms');
  const holdMs = i >= 0 ? Number(process.argv[i + 1]) : 1500;
  const gw = await startScriptedGateway({
    script: (req): Reply => {
      const last = JSON.stringify(req.body?.messages?.at?.(-1) ?? '');
      return {
        text: REPLY_TEXT,
        usage: { prompt_tokens: 1000, completion_tokens: 25 },
        ...(last.includes('HOLD') ? { delayMs: holdMs } : {}),
      };
    },
  });
  setInterval(() => void (gw.requests.length = 0), 1000).unref();
  process.stdout.write(`${JSON.stringify({ url: gw.url })}\n`);
  process.on('SIGTERM', () => void gw.close().then(() => process.exit(0)));
}

void main();
