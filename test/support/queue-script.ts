/**
 * The queue bench's script (bench/queue.ts) for the scripted gateway (stand-in for the model
 * provider), shared by its in-process and its separate-process gateway so both answer alike.
 */
import type { Script } from './scripted-gateway';

/** Every chat completion answers "ok", reporting 40 prompt and 2 completion tokens, after `delayMs` ms (the provider's latency). */
export function queueScript(delayMs: number): Script {
  return () => ({ text: 'ok', usage: { prompt_tokens: 40, completion_tokens: 2 }, delayMs });
}
