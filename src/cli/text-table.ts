/**
 * A plain-text table for the CLI: a header row and data rows, columns left-aligned and padded to
 * their widest cell (in UTF-16 code units; member names are short), two spaces between columns,
 * no trailing spaces. Pure: returns the lines.
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
