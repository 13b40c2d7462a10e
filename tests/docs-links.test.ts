/**
 * Every relative link a reader can follow in README.md, the guides in docs/ and the package
 * READMEs leads somewhere: the file exists, and an anchor names a heading of that file as both
 * GitHub and the documentation site spell it. (The site build, `npm run docs`, also fails on a
 * dead link, the API reference's included.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchors, githubSlug, markdownFiles, relativeLinks, root, siteSlug } from './support/markdown.js';

describe('links in the docs', () => {
  it('spells anchors as GitHub and the site do', () => {
    expect(githubSlug('Earning rules')).toBe('earning-rules');
    expect(siteSlug('Loyalty points: @clientele/loyalty')).toBe('loyalty-points-clientele-loyalty');
    expect(githubSlug('Loyalty points: @clientele/loyalty')).toBe('loyalty-points-clienteleloyalty');
    expect(siteSlug('1. One shop: SQLite')).toBe('_1-one-shop-sqlite');
    expect(anchors('# A\n## B c\n```\n# not a heading\n```\n## B c\n')).toEqual(new Set(['a', 'b-c', 'b-c-1']));
  });

  for (const source of markdownFiles()) {
    it(`${source}: every relative link and anchor resolves`, () => {
      const text = readFileSync(`${root}${source}`, 'utf8');
      const broken: string[] = [];
      for (const { line, target } of relativeLinks(text)) {
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const file = path ? resolve(dirname(`${root}${source}`), decodeURI(path)) : `${root}${source}`;
        if (!existsSync(file)) {
          broken.push(`${source}:${line} ${target}: no such file`);
          continue;
        }
        if (anchor !== undefined && (!file.endsWith('.md') || !anchors(readFileSync(file, 'utf8')).has(anchor))) {
          broken.push(`${source}:${line} ${target}: no heading with that anchor`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
