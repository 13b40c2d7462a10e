/**
 * The API reference (`npm run docs`, typedoc with its markdown theme) as a reader gets it: it builds
 * with no warning, so every exported name has its summary; the customers service lists what
 * `crm.customers.register` takes field by field, as TypeScript, with the comments written on the
 * schema; no page shows zod's schema classes (`ZodObject<...>`) where a caller needs the type a schema
 * accepts; and core's entries for adapter and module authors are documented beside the application's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './support/markdown.js';

const out = `${root}tests/.api-run/`;

/** Every markdown page under `dir`. */
function pages(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return pages(path);
    return path.endsWith('.md') ? [path] : [];
  });
}

/** The section of a page about one member: from its `### name` heading to the next member's. */
function section(page: string, member: string): string {
  const start = page.indexOf(`### ${member}`);
  if (start < 0) return '';
  const end = page.indexOf('\n### ', start + 4);
  return page.slice(start, end < 0 ? undefined : end);
}

describe('the API reference', () => {
  let output = '';

  beforeAll(() => {
    rmSync(out, { recursive: true, force: true });
    // typedoc.json turns warnings into errors: a name without a summary, a broken link or an
    // exported type that refers to one left out fails the build, and so this test.
    output = execFileSync(process.execPath, [`${root}node_modules/typedoc/bin/typedoc`, '--out', out], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }, 300_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('builds without a warning', () => {
    expect(output).not.toMatch(/\[warning\]/);
    expect(existsSync(`${out}index.md`)).toBe(true);
  });

  it("lists the fields crm.customers.register takes on the customers service's page", () => {
    const page = readFileSync(`${out}@clientele/core/index/interfaces/CustomersService.md`, 'utf8');
    const register = section(page, 'register()');
    expect(register).toMatch(/\*\*register\*\*\(`input`, `options`\)/);
    // A member's fields and an organisation's: the union of the three kinds of party, field by field.
    for (const field of ['kind', 'name', 'phone?', 'email?', 'birthDate?', 'legalName', 'taxId?', 'contacts?'])
      expect(register).toContain(`\`${field}\``);
    expect(register).toContain('`"individual"`');
    expect(register).toContain('`"organisation"`');
    // The comment written on the schema's field comes along.
    expect(register).toContain('Store where the customer usually shops or was registered.');
    expect(register).toContain('[`CommandOptions`]');
  });

  it('shows no zod schema class on any page', () => {
    const found = pages(out)
      .map((file) => ({ file, match: /\bZod(?!Type\b)[A-Z]\w*/.exec(readFileSync(file, 'utf8')) }))
      .filter((p) => p.match)
      .map((p) => `${relative(out, p.file)}: ${p.match![0]}`);
    expect(found).toEqual([]);
  });

  it('documents a schema by the types it accepts and returns', () => {
    const page = readFileSync(`${out}@clientele/core/index/variables/registerCustomerSchema.md`, 'utf8');
    expect(page).toMatch(/`ZodType`\\<.*`legalName`.*\\>/s);
  });

  it("documents core's entries for adapter and module authors beside the application's", () => {
    const adapter = readFileSync(`${out}@clientele/core/adapter/index.md`, 'utf8');
    const module = readFileSync(`${out}@clientele/core/module/index.md`, 'utf8');
    const app = readFileSync(`${out}@clientele/core/index/index.md`, 'utf8');
    expect(adapter).toContain('`@clientele/core/adapter`');
    expect(adapter).toMatch(/\[defineStore\]/);
    expect(adapter).toMatch(/\[Mutex\]/);
    expect(module).toContain('`@clientele/core/module`');
    expect(module).toMatch(/\[defineModule\]/);
    expect(module).toMatch(/\[resolveActiveCustomer\]/);
    expect(app).toMatch(/\[createClientele\]/);
    expect(app).not.toMatch(/\bMutex\b/);
    expect(app).not.toMatch(/\bdefineStore\b/);
  });
});
