// Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input",
// TSE 2002): the smallest part of a failing input that still fails, found by removing chunks of it
// and, where no chunk alone fails, chunks' complements, at a finer grain each round. What it ends
// with is 1-minimal: removing any single item makes the failure go away. Every candidate costs a
// whole simulated run here, so the search has a budget and remembers what it tried.

export interface DdminOptions {
  /** The most candidates `fails` may be asked about (cached answers are free). */
  budget: number;
}

export interface DdminResult<T> {
  items: T[];
  /** Candidates `fails` was asked about. */
  tests: number;
  /** False when the budget ran out before the result was known to be 1-minimal. */
  complete: boolean;
}

/**
 * The smallest subset of `items` (in their order) for which `fails` still holds, given that it
 * holds for all of them. `fails` is asked about subsets only; it is never asked about `items` itself.
 */
export async function ddmin<T>(items: readonly T[], fails: (subset: T[]) => boolean | Promise<boolean>, options: DdminOptions): Promise<DdminResult<T>> {
  const answers = new Map<string, boolean>();
  let tests = 0;
  let outOfBudget = false;
  const test = async (indices: number[]): Promise<boolean> => {
    const key = indices.join(',');
    const known = answers.get(key);
    if (known !== undefined) return known;
    if (tests >= options.budget) {
      outOfBudget = true;
      return false;
    }
    tests++;
    const answer = await fails(indices.map((i) => items[i] as T));
    answers.set(key, answer);
    return answer;
  };
  let current = items.map((_, i) => i);
  // Nothing at all is the cheapest answer, and a common one (a bug that needs no fault of this kind).
  if (current.length > 0 && (await test([]))) return { items: [], tests, complete: true };
  let n = 2;
  while (current.length >= 2 && !outOfBudget) {
    const chunks = split(current, n);
    let reduced = false;
    for (const chunk of chunks) {
      if (chunk.length < current.length && (await test(chunk))) {
        current = chunk;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && n > 2) {
      for (const chunk of chunks) {
        const complement = current.filter((i) => !chunk.includes(i));
        if (await test(complement)) {
          current = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (reduced) continue;
    if (n >= current.length) break;
    n = Math.min(current.length, n * 2);
  }
  // With one item left, 1-minimal means the empty set passes, which was asked first.
  return { items: current.map((i) => items[i] as T), tests, complete: !outOfBudget };
}

function split(indices: number[], n: number): number[][] {
  const chunks: number[][] = [];
  let start = 0;
  for (let k = 0; k < n; k++) {
    const end = start + Math.floor((indices.length - start) / (n - k));
    if (end > start) chunks.push(indices.slice(start, end));
    start = end;
  }
  return chunks;
}
