// Every benchmark reports figures beside a baseline measured in the same run, never against a
// number remembered from another machine or day.

export interface BenchFigure {
  /** Stable id, e.g. "sim.raft5.speedup". */
  name: string;
  /** What a person reads in the table. */
  label: string;
  value: number;
  unit: string;
  /** The same quantity for the baseline measured in this run, if the figure is a comparison. */
  baseline?: { label: string; value: number };
  /** value / baseline.value (or the inverse where lower is better, see `better`). */
  ratio?: number;
  better: 'higher' | 'lower';
  /** The goal, if the project states one, and whether this run met it. */
  target?: { text: string; met: boolean };
}

export interface BenchSuite {
  name: string;
  run(progress: (line: string) => void): Promise<BenchFigure[]>;
}

/** The resident memory a suite adds, as the peak of samples taken after each heavy step. */
export class ResidentPeak {
  private readonly before = process.memoryUsage().rss;
  private peak = this.before;

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }

  /** MiB above what the process held when this was made. */
  addedMiB(): number {
    this.sample();
    return (this.peak - this.before) / 2 ** 20;
  }
}
