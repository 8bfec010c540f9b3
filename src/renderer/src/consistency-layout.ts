// Jepsen's map of consistency models laid out from the hierarchy as data (IMPLIES): each model on
// the row of its longest chain down from the strongest, so every edge points down; a model with
// no edge at all (convergence speaks of a history's end, the others of every read) gets a row of
// its own at the bottom. Within a row, models sit under the mean place of their parents, which
// keeps the lines from crossing.

import { CONSISTENCY_NAMES, IMPLIES, type ConsistencyName } from '../../shared/consistency.ts';

export interface PlacedModel {
  name: ConsistencyName;
  row: number;
  /** Centre, as a fraction of the map's width. */
  x: number;
}

export interface ModelMap {
  models: PlacedModel[];
  edges: Array<{ from: ConsistencyName; to: ConsistencyName }>;
  rows: number;
}

export function layoutModels(): ModelMap {
  const parents = new Map<ConsistencyName, ConsistencyName[]>(CONSISTENCY_NAMES.map((n) => [n, []]));
  for (const from of CONSISTENCY_NAMES) for (const to of IMPLIES[from]) parents.get(to)?.push(from);
  const depth = new Map<ConsistencyName, number>();
  const depthOf = (name: ConsistencyName): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const d = Math.max(-1, ...(parents.get(name) ?? []).map(depthOf)) + 1;
    depth.set(name, d);
    return d;
  };
  const isolated = (name: ConsistencyName): boolean => IMPLIES[name].length === 0 && (parents.get(name) ?? []).length === 0;
  const connected = CONSISTENCY_NAMES.filter((n) => !isolated(n));
  const deepest = Math.max(0, ...connected.map(depthOf));
  const rowOf = (name: ConsistencyName): number => (isolated(name) ? deepest + 1 : depthOf(name));
  const rows = CONSISTENCY_NAMES.some(isolated) ? deepest + 2 : deepest + 1;
  const order = new Map<ConsistencyName, number>();
  const models: PlacedModel[] = [];
  for (let row = 0; row < rows; row++) {
    const here = CONSISTENCY_NAMES.filter((n) => rowOf(n) === row);
    const place = (n: ConsistencyName): number => {
      const above = (parents.get(n) ?? []).map((p) => order.get(p) ?? 0);
      return above.length === 0 ? 0 : above.reduce((a, b) => a + b, 0) / above.length;
    };
    // A stable sort: models of equal place keep the order of CONSISTENCY_NAMES.
    const sorted = here.map((n, i) => ({ n, i, at: place(n) })).sort((a, b) => a.at - b.at || a.i - b.i);
    sorted.forEach(({ n }, i) => {
      const x = (i + 0.5) / sorted.length;
      order.set(n, x);
      models.push({ name: n, row, x });
    });
  }
  const edges = CONSISTENCY_NAMES.flatMap((from) => IMPLIES[from].map((to) => ({ from, to })));
  return { models, edges, rows };
}
