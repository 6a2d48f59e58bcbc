import { strict as assert } from 'node:assert';
import { readStreamLine } from '../../../src/jobs/runners/claude-stream';

describe('readStreamLine (Claude Code stream-json)', () => {
  it('summarises tool calls with their target file or command', () => {
    const line = JSON.stringify({
      type: 'assistant',
      message: {
        content: [
          { type: 'text', text: 'Let me fix it.' },
          {
            type: 'tool_use',
            name: 'Edit',
            input: { file_path: '/repo/src/math.js', old_string: 'a - b', new_string: 'a + b' },
          },
          { type: 'tool_use', name: 'Bash', input: { command: 'npm test' } },
        ],
      },
    });
    assert.deepEqual(readStreamLine(line).logs, [
      'assistant: Let me fix it.',
      'tool: Edit /repo/src/math.js',
      'tool: Bash npm test',
    ]);
  });

  it('returns the final result event', () => {
    const read = readStreamLine(
      JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'Done.', num_turns: 4 }),
    );
    assert.equal(read.result?.result, 'Done.');
    assert.equal(read.result?.is_error, false);
    assert.match(read.logs[0]!, /finished after 4 turns: Done\./);
  });

  it('passes non-JSON lines through and ignores blank ones', () => {
    assert.deepEqual(readStreamLine('warning: something').logs, ['warning: something']);
    assert.deepEqual(readStreamLine('   ').logs, []);
  });

  it('marks tool results that were errors', () => {
    const line = JSON.stringify({
      type: 'user',
      message: { content: [{ type: 'tool_result', is_error: true, content: 'File has not been read yet' }] },
    });
    assert.deepEqual(readStreamLine(line).logs, ['tool result (error): File has not been read yet']);
  });
});
