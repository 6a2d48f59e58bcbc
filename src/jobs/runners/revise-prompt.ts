/** Bytes of each failing check's output quoted in a revise prompt. */
export const REVISE_OUTPUT_BYTES = 3000;

/**
 * The prompt of a revise pass: which checks failed after the agent's change and the end of their
 * output, asking for the smallest fix. Output is quoted from its end, where test runners put the
 * failures.
 */
export function revisePrompt(failures: readonly { line: string; outputTail?: string }[]): string {
  const parts = failures.map((f) => {
    const tail = (f.outputTail ?? '').slice(-REVISE_OUTPUT_BYTES).trim();
    return tail ? `${f.line}\n\`\`\`\n${tail}\n\`\`\`` : f.line;
  });
  return `These checks failed after your change:\n\n${parts.join('\n\n')}\n\nFix the cause with the smallest safe change. Do not weaken or skip the checks.`;
}
