/**
 * `npm run bench`: runs every section module in bench/ (each `bench/<name>.ts` exporting
 * `section` and `run()`) and rewrites that section of BENCHMARKS.md between
 * `<!-- bench:<section> -->` and `<!-- /bench:<section> -->`, leaving everything else as is
 * (a missing section is appended). `tsx bench/run.ts adapter ledger` runs only the named ones.
 * Several engineers add sections; the markers are the whole contract.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What a bench/<name>.ts module exports. `run` returns the section's Markdown (without markers). */
export interface BenchSection {
  section: string;
  run(log: (line: string) => void): Promise<string>;
}

const BENCH_DIR = __dirname;
const OUT = join(BENCH_DIR, '..', 'BENCHMARKS.md');

/** Replaces (or appends) the marked section `name` of `doc` with `body`. */
export function replaceSection(doc: string, name: string, body: string): string {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const block = `${open}\n${body.trim()}\n${close}`;
  const start = doc.indexOf(open);
  const end = doc.indexOf(close);
  if (start >= 0 && end > start) return doc.slice(0, start) + block + doc.slice(end + close.length);
  return `${doc.trimEnd()}${doc.trim() ? '\n\n' : ''}${block}\n`;
}

/** The machine line every section can quote. */
export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(BENCH_DIR).filter((f) => f.endsWith('.ts') && f !== 'run.ts').sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(BENCH_DIR, file)).href)) as Partial<BenchSection>;
    if (typeof mod.section !== 'string' || typeof mod.run !== 'function') continue;
    if (only.length > 0 && !only.includes(mod.section) && !only.includes(basename(file, '.ts'))) continue;
    const log = (line: string) => process.stderr.write(`[bench:${mod.section}] ${line}\n`);
    log('running');
    const body = await mod.run(log);
    // Re-read just before writing: another section may have been written meanwhile.
    const doc = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '# Offload benchmarks\n\nProduced by `npm run bench`; each section is rewritten between its markers.\n';
    writeFileSync(OUT, replaceSection(doc, mod.section, body));
    log(`wrote the "${mod.section}" section of BENCHMARKS.md`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
