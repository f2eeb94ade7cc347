/**
 * Row objects to columns, the one way every path of this package does it (entity frames, entity rows, online
 * writes): a column per name, in the order names first appear, and a row that lacks a name another row has
 * is refused rather than leaving its column a value short.
 */
export function rowsToColumns<V>(
  rows: ReadonlyArray<Readonly<Record<string, V>>>,
  missing: (row: number, name: string) => Error,
): { names: string[]; columns: V[][] } {
  const seen = new Set<string>();
  for (const row of rows) for (const name of Object.keys(row)) seen.add(name);
  const names = [...seen];
  const columns = names.map((name) =>
    rows.map((row, i) => {
      if (!(name in row)) throw missing(i, name);
      return row[name] as V;
    }),
  );
  return { names, columns };
}
