/** What a benchmark figure is and what it reports. */

/** One measured figure, as printed and as written to the results file. */
export interface FigureResult {
  id: string;
  unit: string;
  /** Clientele's figure. */
  clientele: number;
  /** The hand-written baseline's figure (raw driver calls, or the library compared against). */
  baseline: number;
  /** `clientele / baseline`. */
  ratio: number;
  higherIsBetter: boolean;
  /** The target, in words. */
  target: string;
  met: boolean;
  /** Measurements behind each figure (sales per round, or lookups). */
  samples?: number;
  /** Further figures worth keeping beside the headline one (rounds, percentiles, data set size). */
  extra?: Record<string, number>;
  note?: string;
}

/** Settings every figure receives. */
export interface RunSettings {
  /** Smaller data sets and fewer samples: a smoke run, not a measurement. */
  quick: boolean;
  /** Progress output (kept apart from the final table). */
  log(message: string): void;
}

/** A benchmark that yields one figure. */
export interface Figure {
  id: string;
  title: string;
  run(settings: RunSettings): Promise<FigureResult>;
}

/**
 * Figures that one run measures together (one data set, one bundling): each figure's `run` answers its
 * own result of that run, which the first of them to run starts and the others reuse.
 */
export function figuresOfOneRun(
  run: (settings: RunSettings) => Promise<FigureResult[]>,
  figures: ReadonlyArray<{ id: string; title: string }>,
): Figure[] {
  let pending: Promise<FigureResult[]> | null = null;
  return figures.map(({ id, title }, i) => ({
    id,
    title,
    run: async (settings) => {
      pending ??= run(settings);
      return (await pending)[i]!;
    },
  }));
}
