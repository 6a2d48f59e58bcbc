/**
 * Edit mode of `run_job` (issue 15, item 1): the answer format a model edits files with, and the
 * pure rules that turn an answer into new file texts. No I/O: the runner (jobs/runners/llm-edit.ts)
 * reads the files, calls the model, and writes what {@link applyEdits} returns.
 *
 * The format is one JSON object, `{"files": [{"path", "content", "hunks"}]}`: per file either the
 * whole new `content` (a string) or search-and-replace `hunks` (`content: null`). Hunks are the
 * default the instructions ask for: on a rename and a small edit they are a fraction of the whole
 * file's bytes, and output tokens cost 4× input tokens on OpenAI's price table (README, "Edit mode", has the
 * measurement); whole content wins only when most lines change (a reformat).
 *
 * Two ways to get it: OpenAI structured output (`response_format: {type: "json_schema"}`, with
 * {@link EDIT_RESPONSE_FORMAT}), or, for models that take no response_format (o1-mini, o1-preview),
 * the fenced-block fallback: the answer is exactly one ```json fenced block holding the same
 * object, nothing before or after it ({@link parseEditAnswer} with `fenced: true`).
 */
import { z } from 'zod';

/** Most files one answer may edit. */
export const EDIT_MAX_FILES = 64;
/** Most hunks for one file. */
export const EDIT_MAX_HUNKS = 256;
/** Largest file text an edit may produce, UTF-8 bytes. */
export const EDIT_MAX_FILE_BYTES = 1024 * 1024;
/** Largest answer parsed, UTF-8 bytes (bigger is refused before JSON.parse). */
export const EDIT_MAX_ANSWER_BYTES = 4 * 1024 * 1024;

const HunkSchema = z.strictObject({ search: z.string().min(1), replace: z.string() });
const FileEditSchema = z.strictObject({
  path: z.string().min(1),
  content: z.string().nullable(),
  hunks: z.array(HunkSchema).max(EDIT_MAX_HUNKS),
});
const EditAnswerSchema = z.strictObject({ files: z.array(FileEditSchema).max(EDIT_MAX_FILES) });

/** One file's edit: whole new `content`, or (content null) `hunks` applied in order, each search text found exactly once. */
export type FileEdit = z.infer<typeof FileEditSchema>;
/** A parsed edit answer. */
export type EditAnswer = z.infer<typeof EditAnswerSchema>;

/**
 * The chat-completions `response_format` for edit mode (OpenAI structured outputs, strict: every
 * property required, no extra ones; platform.openai.com/docs/guides/structured-outputs). The same
 * shape as the zod schema {@link parseEditAnswer} checks with.
 */
export const EDIT_RESPONSE_FORMAT = {
  type: 'json_schema',
  json_schema: {
    name: 'offload_file_edits',
    strict: true,
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['files'],
      properties: {
        files: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['path', 'content', 'hunks'],
            properties: {
              path: { type: 'string', description: 'the file path exactly as given in <file path="…">' },
              content: {
                type: ['string', 'null'],
                description: 'the whole new file text, or null when hunks carry the change',
              },
              hunks: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['search', 'replace'],
                  properties: {
                    search: { type: 'string', description: 'exact text that occurs once in the file' },
                    replace: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

/** The system instructions of edit mode; `fenced` adds the fallback protocol for models without structured output. */
export function editInstructions(fenced: boolean): string {
  const format =
    'Answer with one JSON object {"files": [{"path": string, "content": string | null, "hunks": [{"search": string, "replace": string}]}]}. ' +
    'For each file you change: prefer hunks (content null): each search is exact text, copied with its whitespace, that occurs exactly once in the file; replace is its new text. ' +
    'Give the whole new file as content (hunks []) only when most of the file changes. Use each path exactly as given; list only files you change.';
  return (
    'You are a careful worker model that edits files. Do exactly the task. ' +
    format +
    (fenced ? ' Reply with that JSON object inside a single ```json fenced block and nothing before or after it.' : '')
  );
}

/** An edit answer that cannot be applied; the message says why (shown as the job's error). No file was written. */
export class EditRejectedError extends Error {
  override name = 'EditRejectedError';
}

const FENCED = /^\s*```json[ \t]*\r?\n([\s\S]*?)\r?\n```\s*$/;

/**
 * Parses a model's answer. `fenced`: the answer must be exactly one ```json fenced block (optional
 * whitespace around it), else the answer must be the JSON object itself. Throws EditRejectedError
 * when it is too big (EDIT_MAX_ANSWER_BYTES), not JSON, or not the schema's shape.
 */
export function parseEditAnswer(answer: string, fenced: boolean): EditAnswer {
  if (Buffer.byteLength(answer, 'utf8') > EDIT_MAX_ANSWER_BYTES)
    throw new EditRejectedError(`the answer is larger than ${EDIT_MAX_ANSWER_BYTES} bytes`);
  let json = answer;
  if (fenced) {
    const m = FENCED.exec(answer);
    if (!m || m[1]!.includes('```')) throw new EditRejectedError('the answer is not exactly one ```json fenced block');
    json = m[1]!;
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new EditRejectedError(`the answer is not JSON: ${(err as Error).message}`);
  }
  const parsed = EditAnswerSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EditRejectedError(
      `the answer does not match the edit schema at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  return parsed.data;
}

/** Occurrences of `needle` (non-empty) in `text`, counting at most `limit`. */
function countOf(text: string, needle: string, limit = 2): number {
  let n = 0;
  for (let at = text.indexOf(needle); at >= 0 && n < limit; at = text.indexOf(needle, at + 1)) n++;
  return n;
}

/**
 * One file's new text: `content`, or `hunks` applied in order to `text` (each search must occur
 * exactly once in the text as the previous hunks left it). Throws EditRejectedError naming `path`
 * and the hunk's index, or when both or neither of content and hunks are given, or the result is
 * larger than EDIT_MAX_FILE_BYTES.
 */
export function applyFileEdit(text: string, edit: FileEdit): string {
  const where = (i: number) => `${edit.path}: hunks[${i}]`;
  let out: string;
  if (edit.content !== null) {
    if (edit.hunks.length) throw new EditRejectedError(`${edit.path}: give content or hunks, not both`);
    out = edit.content;
  } else {
    if (!edit.hunks.length) throw new EditRejectedError(`${edit.path}: neither content nor hunks`);
    out = text;
    for (const [i, h] of edit.hunks.entries()) {
      const n = countOf(out, h.search);
      if (n !== 1)
        throw new EditRejectedError(
          `${where(i)}: the search text occurs ${n === 0 ? 'nowhere' : 'more than once'} in the file; it must occur exactly once`,
        );
      const at = out.indexOf(h.search);
      out = out.slice(0, at) + h.replace + out.slice(at + h.search.length);
    }
  }
  if (Buffer.byteLength(out, 'utf8') > EDIT_MAX_FILE_BYTES)
    throw new EditRejectedError(`${edit.path}: the new text is larger than ${EDIT_MAX_FILE_BYTES} bytes`);
  return out;
}

/**
 * The new texts of an answer: `files` maps each editable path (the input_refs, as the model saw
 * them) to its current text. Every edit's path must be one of them, each at most once (so nothing
 * outside the given files can be written, whatever the path says). Returns only the files whose
 * text changes, in the answer's order. Throws EditRejectedError (the first problem) and then
 * nothing may be written.
 */
export function applyEdits(files: ReadonlyMap<string, string>, answer: EditAnswer): { path: string; text: string }[] {
  const seen = new Set<string>();
  const out: { path: string; text: string }[] = [];
  for (const edit of answer.files) {
    const text = files.get(edit.path);
    if (text === undefined)
      throw new EditRejectedError(
        `${edit.path}: not one of the files given (input_refs: ${[...files.keys()].join(', ')}); nothing else may be edited`,
      );
    if (seen.has(edit.path)) throw new EditRejectedError(`${edit.path}: edited twice in one answer`);
    seen.add(edit.path);
    const next = applyFileEdit(text, edit);
    if (next !== text) out.push({ path: edit.path, text: next });
  }
  return out;
}
