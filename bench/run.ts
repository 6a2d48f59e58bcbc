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

/** CPU time counters of the whole machine from /proc/stat (Linux), in clock ticks. */
export interface CpuMark {
  steal: number;
  total: number;
}

/** The machine's CPU counters now (see stealSince); null where /proc/stat cannot be read. */
export function cpuMark(): CpuMark | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user)
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { steal: fields[7] ?? 0, total };
  } catch {
    return null;
  }
}

/**
 * "CPU steal during the run: N %": the share of this VM's CPU time the hypervisor gave to other
 * guests since `mark` (the `st` column of vmstat). On this shared machine it reached 16–32 % in
 * slow phases, and every figure of a run with high steal is slower; "n/a" off Linux.
 */
export function stealSince(mark: CpuMark | null): string {
  const now = cpuMark();
  if (!mark || !now || now.total <= mark.total) return 'CPU steal during the run: n/a';
  return `CPU steal during the run: ${(((now.steal - mark.steal) / (now.total - mark.total)) * 100).toFixed(1)} %`;
}

/** The machine line every section can quote. */
export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(BENCH_DIR, file)).href)) as Partial<BenchSection>;
    if (typeof mod.section !== 'string' || typeof mod.run !== 'function') continue;
    if (only.length > 0 && !only.includes(mod.section) && !only.includes(basename(file, '.ts'))) continue;
    const log = (line: string) => process.stderr.write(`[bench:${mod.section}] ${line}\n`);
    log('running');
    const body = await mod.run(log);
    // Re-read just before writing: another section may have been written meanwhile.
    const doc = existsSync(OUT)
      ? readFileSync(OUT, 'utf8')
      : '# Offload benchmarks\n\nProduced by `npm run bench`; each section is rewritten between its markers.\n';
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
