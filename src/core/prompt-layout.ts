/**
 * Prompt layout for the provider's prefix cache (issue 15, item 6). Cheap gateways (OpenAI,
 * DeepSeek) bill a cached prompt prefix at about a tenth of the input price, but only when a
 * request begins with exactly the bytes of an earlier one. So the stable text goes first — the
 * instructions (system message), then the files in a fixed order (by path, whatever order the
 * caller named them in) — and the task, which changes from job to job, goes last.
 */

/** One file for a prompt: its path as shown to the model, and its text (already bounded). */
export interface PromptFile {
  path: string;
  text: string;
}

/** A chat message of the layout (OpenAI chat-completions roles). */
export interface LaidOutMessage {
  role: 'system' | 'user';
  content: string;
}

/**
 * `[system, user]`: the user turn is every file as `<file path="…">…</file>`, sorted by path
 * (code-unit order, so the order is the same on every machine), then `empty` when there are no
 * files and `empty` is given, then the task. Pure.
 */
export function layoutPrompt(
  system: string,
  files: readonly PromptFile[],
  task: string,
  empty?: string,
): LaidOutMessage[] {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const blocks = sorted.map((f) => `<file path="${f.path}">\n${f.text}\n</file>`);
  if (blocks.length === 0 && empty !== undefined) blocks.push(empty);
  return [
    { role: 'system', content: system },
    { role: 'user', content: [...blocks, task].join('\n\n') },
  ];
}
