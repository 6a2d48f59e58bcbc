import { strict as assert } from 'node:assert';
import {
  applyEdits,
  applyFileEdit,
  EDIT_MAX_FILE_BYTES,
  EDIT_RESPONSE_FORMAT,
  EditRejectedError,
  parseEditAnswer,
  type FileEdit,
} from '../../../src/core/edits';

const hunks = (path: string, ...pairs: [string, string][]): FileEdit => ({
  path,
  content: null,
  hunks: pairs.map(([search, replace]) => ({ search, replace })),
});

describe('parseEditAnswer (edit answers, structured and fenced)', () => {
  const good = { files: [{ path: 'a.ts', content: null, hunks: [{ search: 'x', replace: 'y' }] }] };

  it('accepts the JSON object as structured output gives it', () => {
    assert.deepEqual(parseEditAnswer(JSON.stringify(good), false), good);
  });

  it('accepts exactly one ```json fenced block in the fallback', () => {
    assert.deepEqual(parseEditAnswer(`\n\`\`\`json\n${JSON.stringify(good, null, 2)}\n\`\`\`\n`, true), good);
  });

  const rejected: [string, string, boolean, RegExp][] = [
    ['not JSON', 'Sure! Here is the edit.', false, /not JSON/],
    ['a bare object in fenced mode', JSON.stringify(good), true, /fenced block/],
    ['text before the fence', `Here:\n\`\`\`json\n${JSON.stringify(good)}\n\`\`\``, true, /fenced block/],
    ['text after the fence', `\`\`\`json\n${JSON.stringify(good)}\n\`\`\`\nDone.`, true, /fenced block/],
    ['two fenced blocks', `\`\`\`json\n{}\n\`\`\`\n\`\`\`json\n{}\n\`\`\``, true, /fenced block/],
    ['a fence of another language', `\`\`\`ts\n${JSON.stringify(good)}\n\`\`\``, true, /fenced block/],
    ['an unknown field', JSON.stringify({ ...good, note: 'hi' }), false, /edit schema/],
    ['a missing hunks field', JSON.stringify({ files: [{ path: 'a.ts', content: 'x' }] }), false, /files\.0\.hunks/],
    ['an empty search text', JSON.stringify({ files: [hunks('a.ts', ['', 'y'])] }), false, /search/],
    ['a JSON array', '[]', false, /edit schema/],
  ];
  for (const [name, answer, fenced, why] of rejected)
    it(`rejects ${name}`, () => {
      assert.throws(
        () => parseEditAnswer(answer, fenced),
        (e: unknown) => e instanceof EditRejectedError && why.test(e.message),
      );
    });

  it('sends a strict JSON schema naming every property as required', () => {
    const item = EDIT_RESPONSE_FORMAT.json_schema.schema.properties.files.items;
    assert.equal(EDIT_RESPONSE_FORMAT.json_schema.strict, true);
    assert.deepEqual([...item.required].sort(), Object.keys(item.properties).sort());
  });
});

describe('applyFileEdit (one file)', () => {
  const text = 'const a = 1;\nconst b = a + 1;\n';
  const cases: [string, FileEdit, string | RegExp][] = [
    ['whole content', { path: 'f', content: 'new\n', hunks: [] }, 'new\n'],
    ['one hunk', hunks('f', ['b = a', 'b = 2 * a']), 'const a = 1;\nconst b = 2 * a + 1;\n'],
    [
      'hunks in order, each on the text the last left',
      hunks('f', ['a = 1', 'c = 1'], ['= a +', '= c +']),
      'const c = 1;\nconst b = c + 1;\n',
    ],
    ['a search that occurs twice', hunks('f', ['const', 'let']), /more than once/],
    ['a search that occurs nowhere', hunks('f', ['zzz', 'y']), /nowhere/],
    ['content and hunks together', { path: 'f', content: 'x', hunks: [{ search: 'a', replace: 'b' }] }, /not both/],
    ['neither content nor hunks', { path: 'f', content: null, hunks: [] }, /neither/],
    [
      'a result past the size bound',
      { path: 'f', content: 'x'.repeat(EDIT_MAX_FILE_BYTES + 1), hunks: [] },
      /larger than/,
    ],
  ];
  for (const [name, edit, want] of cases)
    it(typeof want === 'string' ? `applies ${name}` : `rejects ${name}`, () => {
      if (typeof want === 'string') assert.equal(applyFileEdit(text, edit), want);
      else
        assert.throws(
          () => applyFileEdit(text, edit),
          (e: unknown) => e instanceof EditRejectedError && want.test(e.message),
        );
    });
});

describe('applyEdits (an answer over the given files)', () => {
  const files = new Map([
    ['src/a.ts', 'export const a = 1;\n'],
    ['src/b.ts', "import { a } from './a';\n"],
  ]);

  it('returns the changed files only, in the answer order', () => {
    const out = applyEdits(files, {
      files: [
        hunks('src/b.ts', ['{ a }', '{ a as alpha }']),
        { path: 'src/a.ts', content: 'export const a = 1;\n', hunks: [] },
      ],
    });
    assert.deepEqual(out, [{ path: 'src/b.ts', text: "import { a as alpha } from './a';\n" }]);
  });

  const refused: [string, FileEdit[], RegExp][] = [
    [
      'a path that is not among input_refs',
      [{ path: 'src/c.ts', content: 'x', hunks: [] }],
      /not one of the files given/,
    ],
    [
      'a path that escapes the folder',
      [{ path: '../../etc/passwd', content: 'x', hunks: [] }],
      /not one of the files given/,
    ],
    [
      'an absolute path to a given file',
      [{ path: '/src/a.ts', content: 'x', hunks: [] }],
      /not one of the files given/,
    ],
    ['the same file twice', [hunks('src/a.ts', ['1', '2']), hunks('src/a.ts', ['a', 'b'])], /edited twice/],
    [
      'any bad edit, even after a good one',
      [hunks('src/a.ts', ['1', '2']), hunks('src/b.ts', ['nope', ''])],
      /src\/b\.ts: hunks\[0\]/,
    ],
  ];
  for (const [name, edits, why] of refused)
    it(`refuses ${name}`, () => {
      assert.throws(
        () => applyEdits(files, { files: edits }),
        (e: unknown) => e instanceof EditRejectedError && why.test(e.message),
      );
    });
});
