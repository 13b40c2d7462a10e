/** Reading the guides: their code blocks, headings and links, for the tests that check them. */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's root, with a trailing slash. */
export const root = fileURLToPath(new URL('../../', import.meta.url));

/** Every markdown file a reader sees: README.md, the guides in docs/, and each package's README. */
export function markdownFiles(): string[] {
  const guides = readdirSync(`${root}docs`)
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  const packages = readdirSync(`${root}packages`)
    .map((p) => `packages/${p}/README.md`)
    .filter((f) => exists(f));
  return ['README.md', ...guides.sort(), ...packages.sort()];
}

function exists(file: string): boolean {
  try {
    readFileSync(`${root}${file}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * A fenced TypeScript block: the line its code starts on, its code, whether it is a fragment, and the
 * file it is an excerpt of (```ts fragment excerpt=examples/stamp-card/src/earning.ts), if any.
 */
export interface TsBlock {
  line: number;
  code: string;
  fragment: boolean;
  excerptOf: string | null;
}

/** Every ```ts (or ```typescript) block of a markdown text, fragments included. */
export function tsBlocks(markdown: string): TsBlock[] {
  const blocks: TsBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)(\s+.*)?$/.exec(lines[i]!);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    const info = open[2] ?? '';
    const excerptOf = /\bexcerpt=(\S+)/.exec(info)?.[1] ?? null;
    blocks.push({
      line: start + 1,
      code: lines.slice(start, end).join('\n'),
      fragment: /\bfragment\b/.test(info),
      excerptOf,
    });
    i = end;
  }
  return blocks;
}

/** The text of a markdown file with its fenced code blocks blanked, so their contents are not read as markdown. */
export function withoutCode(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line.replace(/`[^`]*`/g, '``');
    })
    .join('\n');
}

/** A heading's text as a reader sees it: inline code, links and emphasis reduced to their words. */
function headingText(raw: string): string {
  return raw
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim();
}

/** The anchor GitHub gives a heading. */
export function githubSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchor the documentation site (VitePress) gives a heading. */
export function siteSlug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036F]/g, '')
    .replace(/[\u0000-\u001f]/g, '')
    .replace(/[\s~`!@#$%^&*()\-_+=[\]{}|\\;:"'“”‘’<>,.?/]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/^(\d)/, '_$1')
    .toLowerCase();
}

/** The anchors of a markdown file's headings that GitHub and the site both give, duplicates numbered as both do. */
export function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = headingText(heading[1]!);
    const [github, site] = [githubSlug(text), siteSlug(text)];
    if (github !== site) continue; // a link to it would work in one place only
    const n = seen.get(github) ?? 0;
    seen.set(github, n + 1);
    found.add(n === 0 ? github : `${github}-${n}`);
  }
  return found;
}

/** The relative links of a markdown text (outside code), with the line each is on. */
export function relativeLinks(markdown: string): Array<{ line: number; target: string }> {
  const links: Array<{ line: number; target: string }> = [];
  withoutCode(markdown)
    .split('\n')
    .forEach((text, i) => {
      for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)|<!--\s*@include:\s*(\S+?)\s*-->/g)) {
        const target = match[1] ?? match[2]!;
        if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push({ line: i + 1, target });
      }
    });
  return links;
}
