import type { Database, SqlValue, Statement } from './sqljs';

/**
 * Compiled statements kept per database, by SQL text. sql.js compiles SQL on every prepare() (and
 * on every Database.run/exec), which was most of a ledger transaction's cost: reserve runs ~20
 * statements. The ledger's SQL is a fixed set of literals, so each is compiled once per database;
 * the map is emptied when it passes MAX_CACHED (journal replay may bring SQL of other versions).
 * Database.close() frees the statements; the WeakMap lets the map go with the database.
 */
const caches = new WeakMap<Database, Map<string, Statement>>();
const MAX_CACHED = 200;

/** Statements being stepped right now: a nested use of the same SQL gets its own statement. */
const busy = new WeakSet<Statement>();

function cached(db: Database, sql: string): Statement {
  let statements = caches.get(db);
  if (!statements) caches.set(db, (statements = new Map()));
  let stmt = statements.get(sql);
  if (!stmt) {
    if (statements.size >= MAX_CACHED) {
      for (const s of statements.values()) if (!busy.has(s)) s.free();
      statements.clear();
    }
    stmt = db.prepare(sql);
    statements.set(sql, stmt);
  }
  return stmt;
}

/**
 * Runs `fn` on the compiled statement for `sql`, bound to `params`, and resets it afterwards (also
 * when `fn` throws), so no statement is left holding a read of the database between calls. `fn`
 * must finish with the statement before it returns. Throws the SQL error of compiling, binding
 * or stepping.
 */
export function withStatement<T>(
  db: Database,
  sql: string,
  params: readonly SqlValue[],
  fn: (stmt: Statement) => T,
): T {
  let stmt = cached(db, sql);
  const own = busy.has(stmt);
  if (own) stmt = db.prepare(sql);
  busy.add(stmt);
  try {
    stmt.bind(params as SqlValue[]);
    return fn(stmt);
  } finally {
    busy.delete(stmt);
    if (own) stmt.free();
    else stmt.reset();
  }
}

/** Runs one statement to its first row or its end (BEGIN, COMMIT, an INSERT …), ignoring rows. Throws the SQL error. */
export function execute(db: Database, sql: string, params: readonly SqlValue[] = []): void {
  withStatement(db, sql, params, (stmt) => stmt.step());
}
