/**
 * Progress of an import: a bar with rows per second and time left on a terminal, a plain line every
 * few seconds otherwise (a log file or a scheduler's capture).
 */

/** What the progress line shows. */
export interface ProgressState {
  rows: number;
  bytes: number;
  totalBytes: number;
}

/** How often a plain progress line is written, ms. */
const PLAIN_EVERY_MS = 5000;
/** How often the bar is redrawn, ms. */
const BAR_EVERY_MS = 200;

/** `1:05`, `1:02:03`. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The figures of a progress report: share done, rate, time left. */
export function figures(state: ProgressState, elapsedMs: number) {
  const share = state.totalBytes > 0 ? Math.min(1, state.bytes / state.totalBytes) : 0;
  const rate = elapsedMs > 0 ? (state.rows * 1000) / elapsedMs : 0;
  const left = share > 0 ? (elapsedMs / 1000) * ((1 - share) / share) : Number.NaN;
  return { share, rate, left };
}

/** Formats one progress report. */
export function progressLine(state: ProgressState, elapsedMs: number, bar: boolean): string {
  const { share, rate, left } = figures(state, elapsedMs);
  const pct = `${Math.floor(share * 100)}%`.padStart(4);
  const rows = state.rows.toLocaleString('en-US');
  const speed = `${Math.round(rate).toLocaleString('en-US')} rows/s`;
  const eta = Number.isFinite(left) ? clock(left) : '?';
  if (!bar) return `import: ${rows} rows, ${pct.trim()} of the file, ${speed}, ${eta} left`;
  const width = 24;
  const done = Math.round(share * width);
  return `[${'#'.repeat(done)}${'-'.repeat(width - done)}] ${pct} ${rows} rows ${speed} ${eta} left`;
}

/** A progress reporter on `out` (stderr): a bar when it is a terminal, plain lines otherwise. */
export function progressReporter(out: NodeJS.WriteStream, totalBytes: number, enabled = true) {
  const tty = out.isTTY === true;
  const started = performance.now();
  let last = 0;
  const state: ProgressState = { rows: 0, bytes: 0, totalBytes };
  const draw = (force: boolean) => {
    if (!enabled) return;
    const now = performance.now();
    if (!force && now - last < (tty ? BAR_EVERY_MS : PLAIN_EVERY_MS)) return;
    last = now;
    const line = progressLine(state, now - started, tty);
    out.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
  };
  return {
    state,
    update(rows: number, bytes: number) {
      state.rows = rows;
      state.bytes = bytes;
      draw(false);
    },
    done() {
      state.bytes = state.totalBytes;
      draw(true);
      if (enabled && tty) out.write('\n');
    },
  };
}
