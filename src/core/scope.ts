/**
 * The scoped_patch rule of the async Claude Code worker: every changed file must lie under one of
 * the declared paths (repo-relative, "src" covers "src/a.ts" but not "srcx/a.ts"), and the diff
 * must fit in max_diff_bytes. Pure: callers pass repo-relative changed paths and the diff size.
 */
export interface ScopeVerdict {
  ok: boolean;
  /** One check line for the result, e.g. "scoped_patch: passed (src, tests)". */
  line: string;
  outside: string[];
}

function norm(p: string): string {
  return p
    .replace(/\\/g, '/')
    .replace(/^\.\/+/, '')
    .replace(/\/+$/, '');
}

/** Checks `changed` (repo-relative) against `paths`; `diffBytes` against `maxDiffBytes` when given. */
export function checkScope(
  changed: readonly string[],
  paths: readonly string[],
  diffBytes: number,
  maxDiffBytes?: number,
): ScopeVerdict {
  const roots = paths.map(norm);
  const outside = changed.filter((file) => {
    const f = norm(file);
    return !roots.some((r) => r === '' || r === '.' || f === r || f.startsWith(`${r}/`));
  });
  const label = roots.join(', ');
  if (outside.length)
    return { ok: false, outside, line: `scoped_patch: failed (changed outside ${label}: ${outside.join(', ')})` };
  if (maxDiffBytes !== undefined && diffBytes > maxDiffBytes) {
    return {
      ok: false,
      outside,
      line: `scoped_patch: failed (diff is ${diffBytes} bytes, over max_diff_bytes ${maxDiffBytes})`,
    };
  }
  return { ok: true, outside, line: `scoped_patch: passed (${label})` };
}
