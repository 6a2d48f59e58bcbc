import type { Check } from '../../core/requests';

/** Bytes of each check's output kept in the stored job (`check_runs[].output_tail`, its end). */
export const CHECK_TAIL_BYTES = 4096;

/**
 * One check as the stored job keeps it (job.result.check_runs; the panel shows it, shapeResult
 * hides it from agents): its result line (as in `checks`), whether it passed, and the end of its
 * output (at most CHECK_TAIL_BYTES; '' for the CLI's own line and scoped_patch's). Redacted like
 * the rest of the result when the engine stores it.
 */
export interface CheckRun {
  line: string;
  passed: boolean;
  output_tail: string;
}

/** A failed check as a revise prompt quotes it (revise-prompt.ts): its line and its whole output tail. */
export interface CheckFailure {
  line: string;
  outputTail?: string;
}

/** The workspace layer's check runner (src/jobs/workspace/index.ts): one check in `cwd`, killed on `signal`. */
export type RunCheckPort = (
  check: Check,
  cwd: string,
  signal: AbortSignal,
) => Promise<{ passed: boolean; line: string; outputTail?: string }>;

/** The last `max` bytes of `text` (UTF-8), without a broken first character. */
function tailOf(text: string | undefined, max = CHECK_TAIL_BYTES): string {
  const b = Buffer.from(text ?? '', 'utf8');
  return b.length <= max
    ? (text ?? '')
    : b
        .subarray(b.length - max)
        .toString('utf8')
        .replace(/^\uFFFD+/, '');
}

/**
 * Runs `checks` one after another in `cwd` (every one, also after a failure, as `start` does),
 * logging each command and its result line. Returns each run (output tail bounded to
 * CHECK_TAIL_BYTES) and the failures with their whole tails, for a revise prompt. Rejects only
 * when a check cannot be spawned.
 */
export async function runChecks(
  workspace: { runCheck: RunCheckPort },
  checks: readonly Check[],
  cwd: string,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<{ runs: CheckRun[]; failures: CheckFailure[] }> {
  const runs: CheckRun[] = [];
  const failures: CheckFailure[] = [];
  for (const check of checks) {
    log(`check: ${check.name}: ${check.command}`);
    const r = await workspace.runCheck(check, cwd, signal);
    runs.push({ line: r.line, passed: r.passed, output_tail: tailOf(r.outputTail) });
    log(r.line);
    if (!r.passed) failures.push({ line: r.line, outputTail: r.outputTail });
  }
  return { runs, failures };
}

/** The error of a job whose checks did not pass: the first failed or timed-out line, e.g. `unit tests: failed (exit 1)`. */
export function failedCheckError(runs: readonly CheckRun[]): string {
  return runs.map((c) => c.line).find((c) => /failed|timed out/.test(c)) ?? 'the job did not complete';
}
