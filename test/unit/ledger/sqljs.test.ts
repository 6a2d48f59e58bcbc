import assert from 'node:assert/strict';
import path from 'node:path';
import { all, one } from '../../../src/ledger/rows';
import { loadSqlJs, openDatabase, sqlWasmPath } from '../../../src/ledger/sqljs';

describe('sql.js loading', () => {
  it('finds the WASM in node_modules when no copy sits beside the code', () => {
    assert.equal(sqlWasmPath(), path.join(process.cwd(), 'node_modules', 'sql.js', 'dist', 'sql-wasm.wasm'));
  });

  it('loads once and hands every caller the same instance', async () => {
    const [a, b] = await Promise.all([loadSqlJs(), loadSqlJs()]);
    assert.equal(a, b);
    assert.equal(await loadSqlJs(), a);
  });

  it('opens databases with foreign keys enforced', async () => {
    const db = openDatabase(await loadSqlJs());
    assert.deepEqual(db.exec('PRAGMA foreign_keys')[0]?.values, [[1]]);
    db.close();
  });

  it('reads rows by column name from compiled statements, also after the table gained a column', async () => {
    const db = openDatabase(await loadSqlJs());
    db.run("CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, 'y')");
    assert.deepEqual(one(db, 'SELECT * FROM t WHERE a = ?', [1]), { a: 1, b: 'x' });
    assert.deepEqual(all(db, 'SELECT b, a FROM t ORDER BY a'), [
      { b: 'x', a: 1 },
      { b: 'y', a: 2 },
    ]);
    db.run("ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'z'"); // the cached `SELECT *` is recompiled by SQLite with three columns
    assert.deepEqual(one(db, 'SELECT * FROM t WHERE a = ?', [2]), { a: 2, b: 'y', c: 'z' });
    db.close();
  });
});
