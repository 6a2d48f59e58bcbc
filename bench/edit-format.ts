/**
 * Edit-format section of BENCHMARKS.md: which edit representation costs fewer output tokens
 * (src/core/edits.ts), whole new `content` or search-and-replace `hunks`, on three edits of a real
 * file of this repo (src/core/pricing.ts): a format (re-indent every line, 2 → 4 spaces), a rename
 * (one symbol, every occurrence) and a small edit (one line). Hunks are made the way a model is
 * asked to: each run of changed lines, widened by a context line until its search text is unique.
 * Counted: the answer's JSON bytes and its tokens (gpt-tokenizer, o200k_base). Deterministic; run
 * with `npx tsx bench/run.ts edit-format`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countTokens } from 'gpt-tokenizer';
import { applyEdits, type EditAnswer } from '../src/core/edits';

/** The marker name of this section in BENCHMARKS.md. */
export const section = 'edit-format';

const FILE = 'src/core/pricing.ts';

/** Hunks turning `before` into `after` (same line count): each changed run, widened until its search occurs once. */
function hunksFor(before: string, after: string): { search: string; replace: string }[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const out: { search: string; replace: string }[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    let end = i;
    while (end + 1 < a.length && a[end + 1] !== b[end + 1]) end++;
    let lo = i;
    let hi = end;
    const text = (x: string[]) => x.slice(lo, hi + 1).join('\n');
    while (before.split(text(a)).length - 1 !== 1)
      if (lo > 0) lo--;
      else hi++;
    out.push({ search: text(a), replace: text(b) });
    i = end;
  }
  return out;
}

/** The three sample edits of the file's text. */
function samples(text: string): [string, string][] {
  return [
    ['format (re-indent 2 → 4 spaces)', text.replace(/^( +)/gm, (s) => s + s)],
    ['rename (`checkTokens` → `assertTokenCounts`, 6 uses)', text.replaceAll('checkTokens', 'assertTokenCounts')],
    ['small edit (one line)', text.replace('export const', 'export const /* edited */')],
  ];
}

export async function run(log: (line: string) => void): Promise<string> {
  const text = readFileSync(join(__dirname, '..', FILE), 'utf8');
  const rows: string[] = [];
  for (const [name, after] of samples(text)) {
    const whole: EditAnswer = { files: [{ path: FILE, content: after, hunks: [] }] };
    const hunked: EditAnswer = { files: [{ path: FILE, content: null, hunks: hunksFor(text, after) }] };
    for (const a of [whole, hunked])
      if (applyEdits(new Map([[FILE, text]]), a)[0]?.text !== after)
        throw new Error(`${name}: the edit does not reproduce the target`);
    const [wj, hj] = [JSON.stringify(whole), JSON.stringify(hunked)];
    const [wt, ht] = [countTokens(wj), countTokens(hj)];
    log(`${name}: whole ${wj.length} B / ${wt} tok, hunks ${hj.length} B / ${ht} tok`);
    rows.push(
      `| ${name} | ${hunked.files[0]!.hunks.length} | ${wj.length} | ${wt} | ${hj.length} | ${ht} | ${(ht / wt).toFixed(2)} |`,
    );
  }
  return [
    '## Edit format: whole content vs search-and-replace hunks',
    '',
    `Output size of one edit answer (src/core/edits.ts) for three edits of \`${FILE}\` (${text.length} bytes, ${text.split('\n').length} lines); tokens by gpt-tokenizer (o200k_base). Command: \`npx tsx bench/run.ts edit-format\` (deterministic).`,
    '',
    '| edit | hunks | whole: bytes | whole: tokens | hunks: bytes | hunks: tokens | hunks / whole (tokens) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}
