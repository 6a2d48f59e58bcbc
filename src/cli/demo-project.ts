/**
 * The demo's sample project: a tiny Node package whose unit test fails because add() subtracts.
 * Shared by `offload-worker demo`, the scripted gateway's demo script and the end-to-end test.
 */
export const DEMO_PROJECT: Readonly<Record<string, string>> = {
  'package.json': `${JSON.stringify({ name: 'offload-demo-project', version: '1.0.0', private: true, scripts: { test: 'node --test' } }, null, 2)}\n`,
  'src/math.js': `'use strict';\n\n/** Adds two numbers. */\nfunction add(a, b) {\n  return a - b;\n}\n\nmodule.exports = { add };\n`,
  'test/math.test.js': `'use strict';\nconst test = require('node:test');\nconst assert = require('node:assert');\nconst { add } = require('../src/math.js');\n\ntest('add adds two numbers', () => {\n  assert.strictEqual(add(2, 3), 5);\n});\n`,
  'README.md': '# offload demo project\n\nA tiny library with one function, add(a, b), and a unit test for it.\n',
};

/** The demo's prompts and check, so the test and the demo ask for the same thing. */
export const DEMO_START_PROMPT = 'Fix the failing test with the smallest safe change.';
export const DEMO_SUMMARY_TASK = 'Summarize this file in two sentences for a changelog.';
export const DEMO_CHECK = { name: 'unit tests', command: 'npm test', timeout_ms: 120_000 };
