import assert from 'node:assert/strict';
import path from 'node:path';
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
});
