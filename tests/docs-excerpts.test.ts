/**
 * Excerpts stay true. A block marked ```ts fragment excerpt=<file> in README.md, the guides or a
 * package README shows lines of <file> word for word: it must occur there, the file must be one the
 * type-check compiles (a package's or an example's `src` or `test`), and the excerpt must be more
 * than a line or two. tests/docs-types.test.ts leaves excerpts to this check, since their file
 * type-checks whole. The guide to writing a module shows only such excerpts besides its runnable
 * example, so every fragment in it is the stamp-card example's real code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { markdownFiles, root, tsBlocks } from './support/markdown.js';

/** Where an excerpt may come from: files tsconfig.json includes for the type-check. */
const TYPE_CHECKED = /^(packages|examples)\/[^/]+\/(src|test)\/.+\.ts$/;

const excerpts = markdownFiles().flatMap((source) =>
  tsBlocks(readFileSync(`${root}${source}`, 'utf8'))
    .filter((b) => b.excerptOf !== null)
    .map((b) => ({ ...b, source, file: b.excerptOf! })),
);

describe('excerpts in the docs', () => {
  it('finds the excerpts of the guide to writing a module', () => {
    expect(excerpts.filter((e) => e.source === 'docs/writing-a-module.md').length).toBeGreaterThan(5);
  });

  it.each(excerpts.map((e) => [`${e.source}:${e.line}`, e] as const))(
    '%s occurs word for word in its file',
    (_where, e) => {
      expect(e.fragment, 'an excerpt is a fragment: it does not run alone').toBe(true);
      expect(e.file).toMatch(TYPE_CHECKED);
      expect(existsSync(`${root}${e.file}`), `${e.file} exists`).toBe(true);
      expect(e.code.split('\n').length).toBeGreaterThan(2);
      expect(readFileSync(`${root}${e.file}`, 'utf8')).toContain(`${e.code}\n`);
    },
  );

  it('leaves no fragment of the guide to writing a module that is not an excerpt', () => {
    const blocks = tsBlocks(readFileSync(`${root}docs/writing-a-module.md`, 'utf8'));
    expect(blocks.filter((b) => b.fragment && b.excerptOf === null).map((b) => b.line)).toEqual([]);
    expect(blocks.filter((b) => !b.fragment)).toHaveLength(1);
  });
});
