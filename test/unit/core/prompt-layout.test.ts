import { strict as assert } from 'node:assert';
import { layoutPrompt } from '../../../src/core/prompt-layout';

/** The bytes two requests share from their first byte: what a provider's prefix cache can reuse. */
const commonPrefix = (a: string, b: string) => {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
};

describe("layoutPrompt (prompt layout for the provider's prefix cache)", () => {
  const a = { path: 'src/a.ts', text: 'export const a = 1;' };
  const b = { path: 'src/b.ts', text: 'export const b = 2;' };

  it('puts the instructions first, the files by path, and the task last', () => {
    const [system, user] = layoutPrompt('Be exact.', [b, a], 'Rename a to alpha.');
    assert.deepEqual(system, { role: 'system', content: 'Be exact.' });
    assert.equal(
      user!.content,
      '<file path="src/a.ts">\nexport const a = 1;\n</file>\n\n<file path="src/b.ts">\nexport const b = 2;\n</file>\n\nRename a to alpha.',
    );
  });

  it('gives two jobs on the same files, named in any order, the same bytes up to their tasks', () => {
    const one = JSON.stringify(layoutPrompt('Be exact.', [a, b], 'Rename a to alpha.'));
    const two = JSON.stringify(layoutPrompt('Be exact.', [b, a], 'Summarize both files.'));
    const shared = commonPrefix(one, two);
    assert.ok(
      one.slice(0, shared).endsWith('</file>\\n\\n'),
      `the shared prefix ends where the task begins: …${one.slice(shared - 30, shared)}`,
    );
    assert.ok(one.slice(0, shared).includes('export const b = 2;'), 'every file is in the shared prefix');
  });

  it('names an empty listing only when asked, and keeps a lone task as it is', () => {
    assert.equal(layoutPrompt('S', [], 'Why?', '(no readable files)')[1]!.content, '(no readable files)\n\nWhy?');
    assert.equal(layoutPrompt('S', [], 'Just this.')[1]!.content, 'Just this.');
  });
});
