/**
 * The guides' examples run as written: every ```ts block in docs/*.md is written to a module and
 * imported, so a guide whose example no longer works fails here. A block marked ```ts fragment is
 * a piece of a larger program and is only shown.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const docs = fileURLToPath(new URL('../docs/', import.meta.url));
const scratch = fileURLToPath(new URL('./.docs-run/', import.meta.url));

/** The runnable blocks of a markdown text, with the line each starts on. */
export function runnableBlocks(markdown: string): Array<{ line: number; code: string }> {
  const blocks: Array<{ line: number; code: string }> = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)(\s+.*)?$/.exec(lines[i]!);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    if (!/\bfragment\b/.test(open[2] ?? '')) blocks.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

const files = readdirSync(docs)
  .filter((f) => f.endsWith('.md'))
  .sort();

describe('guides', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('finds the guides', () => {
    expect(files).toContain('getting-started.md');
  });

  for (const file of files) {
    const blocks = runnableBlocks(readFileSync(docs + file, 'utf8'));
    for (const [n, block] of blocks.entries()) {
      it(`${file}: the example at line ${block.line} runs`, async () => {
        mkdirSync(scratch, { recursive: true });
        const module = `${scratch}${file.replace(/\.md$/, '')}-${n + 1}.ts`;
        writeFileSync(module, `${block.code}\nexport {};\n`);
        const output: string[] = [];
        const log = vi
          .spyOn(console, 'log')
          .mockImplementation((...args: unknown[]) => void output.push(args.join(' ')));
        try {
          await import(pathToFileURL(module).href);
        } finally {
          log.mockRestore();
        }
        // Every example prints what it shows; one that printed nothing did not get far.
        expect(output.length).toBeGreaterThan(0);
      }, 30_000);
    }
  }
});
