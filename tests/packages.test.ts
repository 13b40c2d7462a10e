/**
 * Each published package carries what a user of the registry sees: a README, the repository's
 * license, where it comes from, and `@clientele/core` as a peer, so one copy of the core is installed.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { root } from './support/markdown.js';

const license = readFileSync(`${root}LICENSE`, 'utf8');
const packages = readdirSync(`${root}packages`).filter((p) => existsSync(`${root}packages/${p}/package.json`));

describe('published packages', () => {
  for (const name of packages) {
    it(`@clientele/${name} has a README, the license, its links and keywords, and core as a peer`, () => {
      const dir = `${root}packages/${name}/`;
      const pkg = JSON.parse(readFileSync(`${dir}package.json`, 'utf8'));
      expect(readFileSync(`${dir}README.md`, 'utf8')).toMatch(/npm install /);
      expect(readFileSync(`${dir}LICENSE`, 'utf8')).toBe(license);
      expect(pkg.license).toBe('MIT');
      expect(pkg.repository).toMatchObject({ type: 'git', directory: `packages/${name}` });
      expect(pkg.homepage).toMatch(/^https:\/\//);
      expect(pkg.keywords).toEqual(expect.arrayContaining(['clientele']));
      expect(pkg.version).not.toBe('0.0.0');
      if (name !== 'core') {
        expect(pkg.peerDependencies?.['@clientele/core']).toBeDefined();
        expect(pkg.dependencies?.['@clientele/core']).toBeUndefined();
      }
    });
  }
});
