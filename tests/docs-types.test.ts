/**
 * Every ```ts block a reader sees type-checks against the packages' source: README.md, the guides
 * in docs/ and each package's README. A block marked `ts fragment` is a piece of a larger program;
 * it is checked with the rest of that program declared (tests/docs-check/prelude.d.ts: `crm` with
 * every module, `actor`, `customerId`, ...), so no block goes unchecked. A complete block is
 * checked without that prelude: it must import or define everything it uses.
 *
 * One kind of fragment is left to another check: an excerpt (```ts fragment excerpt=<file>) shows
 * lines of a source file word for word, and tests/docs-excerpts.test.ts requires them to occur in
 * that file, which the type-check (`npm run typecheck`, tsconfig.json) compiles in full. Checking the
 * excerpt here again, cut off from its file's imports, would only test the prelude.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { markdownFiles, root, tsBlocks, type TsBlock } from './support/markdown.js';

const check = `${root}tests/docs-check/`;
const scratch = `${check}blocks/`;
const prelude = `${check}prelude.d.ts`;
const modules = `${check}modules.d.ts`;

interface Written extends TsBlock {
  source: string;
  file: string;
}

/** Writes each block to a module of its own, named for where it comes from. */
function writeBlocks(): Written[] {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const written: Written[] = [];
  for (const source of markdownFiles()) {
    for (const block of tsBlocks(readFileSync(`${root}${source}`, 'utf8'))) {
      const file = `${scratch}${source.replace(/\.md$/, '').replace(/\//g, '_')}_${block.line}.ts`;
      writeFileSync(file, `${block.code}\nexport {};\n`);
      written.push({ ...block, source, file });
    }
  }
  return written;
}

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(`${root}tsconfig.json`, (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  return { ...parsed.options, noEmit: true };
}

/** The type errors of each block, as `line:column TSxxxx message`, lines counted in its markdown file. */
function typeErrors(blocks: Written[], withPrelude: boolean): Map<string, string[]> {
  const program = ts.createProgram({
    rootNames: [...blocks.map((b) => b.file), modules, ...(withPrelude ? [prelude] : [])],
    options: compilerOptions(),
  });
  const errors = new Map<string, string[]>();
  for (const block of blocks) {
    const source = program.getSourceFile(block.file)!;
    const found = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
      const { line, character } = source.getLineAndCharacterOfPosition(d.start ?? 0);
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      return `${block.source}:${block.line + line}:${character + 1} TS${d.code} ${message}`;
    });
    errors.set(block.file, found);
  }
  if (withPrelude) {
    const own = program.getSourceFile(prelude)!;
    errors.set(
      prelude,
      [...program.getSemanticDiagnostics(own)].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    );
  }
  return errors;
}

/**
 * Type errors that are the code's fault, not the guide's: the guide shows the API as documented and
 * the example runs (tests/docs.test.ts), but a type in the package refuses it. Each stays listed
 * until the package is fixed; the check fails when one no longer occurs, so the entry goes then.
 */
const CODE_TYPE_ERRORS: Array<{ source: string; error: string; why: string }> = [];

/** The errors left once the known code errors are taken out; fails when a known one is gone. */
function unexpected(errors: string[]): string[] {
  const known = CODE_TYPE_ERRORS.filter((k) => errors.some((e) => e.startsWith(`${k.source}:`) && e.includes(k.error)));
  return [
    ...errors.filter((e) => !known.some((k) => e.startsWith(`${k.source}:`) && e.includes(k.error))),
    ...CODE_TYPE_ERRORS.filter((k) => !known.includes(k)).map(
      (k) => `fixed, take it off CODE_TYPE_ERRORS: ${k.source} ${k.error}`,
    ),
  ];
}

const blocks = writeBlocks();
/** Excerpts are checked as part of their file (see the comment at the top), so they are left out here. */
const fragments = blocks.filter((b) => b.fragment && b.excerptOf === null);
const complete = blocks.filter((b) => !b.fragment);

describe('every ts block of the docs type-checks', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('finds blocks in the guides and the package READMEs', () => {
    expect(blocks.some((b) => b.source === 'docs/getting-started.md')).toBe(true);
    expect(blocks.some((b) => b.source.startsWith('packages/'))).toBe(true);
    expect(fragments.length).toBeGreaterThan(0);
  });

  it('complete blocks type-check on their own', () => {
    const errors = typeErrors(complete, false);
    expect(unexpected([...errors.values()].flat())).toEqual([]);
  }, 120_000);

  it('fragments type-check with the prelude declared', () => {
    const errors = typeErrors(fragments, true);
    expect([...errors.values()].flat()).toEqual([]);
  }, 120_000);
});
