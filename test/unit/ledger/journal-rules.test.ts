import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { NONDETERMINISTIC } from '../../../src/ledger/recorder';

/**
 * The journal's rules (ARCHITECTURE.md, "Write to the ledger"), checked statically over src/:
 * 1. A row changes only through rows.run(): no `db.run/exec/prepare/each/iterateStatements(…)`
 *    and no `withStatement`/`execute` outside the ledger's plumbing (rows, statements, recorder,
 *    schema, sqljs), except the rows listed in EXCEPTIONS, which are never journaled on purpose.
 * 2. Ledger SQL is deterministic: no SQL text in src/ledger calls time, randomness or connection
 *    counters (recorder.ts NONDETERMINISTIC), so replaying a journal line gives the writer's rows.
 * recorder.ts enforces both at run time too (an unrecorded change or nondeterministic SQL inside a
 * write rolls the transaction back); this test finds them before any code path runs.
 */

const SRC = path.join(__dirname, '..', '..', '..', 'src');
const PLUMBING = new Set([
  'ledger/rows.ts',
  'ledger/statements.ts',
  'ledger/recorder.ts',
  'ledger/schema.ts',
  'ledger/sqljs.ts',
]);
const DB_METHODS = new Set(['run', 'exec', 'prepare', 'each', 'iterateStatements']);
const STATEMENT_HELPERS = new Set(['withStatement', 'execute']);
const SQL_START = /^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|WITH|CREATE|DROP|ALTER|PRAGMA)\b/i;

/** Direct statements allowed outside the plumbing: file, the SQL's start, and why it is not journaled. */
const EXCEPTIONS: Array<{ file: string; sql: string; why: string }> = [
  {
    file: 'ledger/journaled-store.ts',
    sql: 'UPDATE journal_state',
    why: "the snapshot's own generation, carried by the snapshot it is written into",
  },
  {
    file: 'ledger/compaction.ts',
    sql: 'UPDATE journal_state',
    why: 'the same row, in the snapshot a compaction worker builds',
  },
  { file: 'ledger/repair.ts', sql: 'UPDATE journal_state', why: 'repair writes a new snapshot, with no journal line' },
  { file: 'ledger/integrity-check.ts', sql: 'PRAGMA integrity_check', why: 'a read' },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

function textOf(node: ts.Node | undefined): string | null {
  if (!node) return null;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node))
    return node.head.text + node.templateSpans.map((s) => `?${s.literal.text}`).join('');
  return null;
}

/** What breaks the journal's rules in one file (`rel`: its path under src/, with forward slashes). */
export function violations(rel: string, source: string): string[] {
  const file = ts.createSourceFile(rel, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const where = (n: ts.Node) => `${rel}:${file.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && !PLUMBING.has(rel)) {
      const callee = node.expression;
      const sql = textOf(node.arguments[0]) ?? textOf(node.arguments[1]);
      const excused = sql !== null && EXCEPTIONS.some((e) => e.file === rel && sql.trimStart().startsWith(e.sql));
      if (
        ts.isPropertyAccessExpression(callee) &&
        DB_METHODS.has(callee.name.text) &&
        /(^|\.)db$/.test(callee.expression.getText(file)) &&
        !excused
      ) {
        found.push(
          `${where(node)}: ${callee.getText(file)}(…) writes around rows.run(); use rows.run (or one/all/num to read)`,
        );
      }
      if (ts.isIdentifier(callee) && STATEMENT_HELPERS.has(callee.text) && !excused) {
        found.push(
          `${where(node)}: ${callee.text}(…) runs a statement around rows.run(); use rows.run (or one/all/num to read)`,
        );
      }
    }
    if (rel.startsWith('ledger/') && rel !== 'ledger/recorder.ts') {
      const text = textOf(node);
      if (text !== null && SQL_START.test(text) && NONDETERMINISTIC.test(text)) {
        found.push(`${where(node)}: nondeterministic SQL (bind the value instead): ${text.trim().slice(0, 80)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe("the journal's rules in src/", () => {
  it('finds no write around rows.run() and no nondeterministic ledger SQL', () => {
    const files = sourceFiles(SRC);
    assert.ok(files.length > 50, 'it scanned the source tree');
    const found = files.flatMap((f) =>
      violations(path.relative(SRC, f).split(path.sep).join('/'), readFileSync(f, 'utf8')),
    );
    assert.deepEqual(found, []);
  });

  it('would find each kind of breach (the checker itself works)', () => {
    const source = [
      "db.run('DELETE FROM jobs');",
      "r.db.exec(`UPDATE jobs SET status = 'x'`);",
      "withStatement(db, 'INSERT INTO jobs VALUES (1)', [], (s) => s.step());",
      "run(db, \"UPDATE jobs SET updated_at = strftime('%s', 'now') WHERE id = ?\", [id]);",
      "one(db, 'SELECT random() AS r');",
      "db.run('UPDATE journal_state SET generation = 1 WHERE id = 1');",
    ].join('\n');
    const found = violations('ledger/queries.ts', source);
    assert.equal(found.length, 6, found.join('\n'));
    assert.deepEqual(
      violations('ledger/journaled-store.ts', "r.db.run('UPDATE journal_state SET generation = ? WHERE id = 1', [g]);"),
      [],
      'a listed exception',
    );
    assert.deepEqual(
      violations('ledger/queries.ts', "run(db, 'UPDATE jobs SET updated_at = ? WHERE id = ?', [now, id]);"),
      [],
      'the rule itself',
    );
  });
});
