/**
 * Runs the `clientele` command as a child process, as a retailer runs it, and measures it: wall time and
 * peak resident memory (the kernel's high-water mark, `VmHWM`, read while it runs).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../packages/cli/src/bin.ts', import.meta.url));
const root = fileURLToPath(new URL('../', import.meta.url));

/** What one run of the command did. */
export interface CliRun {
  code: number | null;
  seconds: number;
  /** Peak resident set of the command's process, MiB (0 where `/proc` cannot be read). */
  peakRssMiB: number;
  stdout: string;
  stderr: string;
}

/** The high-water mark of a process's resident memory, MiB, or 0 when it cannot be read. */
function highWaterMiB(pid: number): number {
  try {
    const m = /VmHWM:\s+([0-9]+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs `clientele <args>` from the sources; resolves when it exits. */
export function runCli(args: readonly string[]): Promise<CliRun> {
  const started = performance.now();
  // tsx's loader runs the sources in this one process, whose memory is measured.
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@clientele/source', bin, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let peak = 0;
  child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const poll = setInterval(() => {
    if (child.pid) peak = Math.max(peak, highWaterMiB(child.pid));
  }, 50);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, seconds: (performance.now() - started) / 1000, peakRssMiB: peak, stdout, stderr });
    }),
  );
}
