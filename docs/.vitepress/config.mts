/**
 * The documentation site: the guides in docs/ with README.md as the home page, and the API
 * reference typedoc writes as markdown into docs/api/ (`npm run docs` runs typedoc first).
 * The build fails on a dead link, so the site's links are checked as it is built.
 */
import { existsSync, readFileSync } from 'node:fs';
import { defineConfig, type DefaultTheme } from 'vitepress';

// The sidebar lists the packages only: every page carries its sidebar, and one entry per
// reference page would make the site hundreds of megabytes. Each package's page lists its members.
const sidebarFile = new URL('../api/typedoc-sidebar.json', import.meta.url);
const reference: DefaultTheme.SidebarItem[] = existsSync(sidebarFile)
  ? JSON.parse(readFileSync(sidebarFile, 'utf8'))
  : [];
const packages = reference.map(({ text, link }): DefaultTheme.SidebarItem => ({ text, link }));

const guides: DefaultTheme.SidebarItem[] = [
  { text: 'Getting started', link: '/getting-started' },
  { text: 'Concepts', link: '/concepts' },
  { text: 'Customers, cards, sales and staff', link: '/customers' },
  { text: 'Authority over value', link: '/authority' },
  { text: 'Loyalty points', link: '/loyalty' },
  { text: 'Vouchers and stored-value cards', link: '/vouchers-and-cards' },
  { text: 'Complaints and surveys', link: '/complaints' },
  { text: 'Segments', link: '/segments' },
  { text: 'Scaling', link: '/scaling' },
  { text: 'HTTP API', link: '/http' },
  { text: 'Offline tills', link: '/offline-tills' },
  { text: 'Importing and the command line', link: '/import' },
  { text: 'Writing a storage adapter', link: '/writing-a-storage-adapter' },
  { text: 'Writing a module', link: '/writing-a-module' },
];

export default defineConfig({
  title: 'Clientele',
  description: 'Customer relationship management for retail software, on the database you already run.',
  cleanUrls: true,
  themeConfig: {
    nav: [
      { text: 'Guides', link: '/getting-started' },
      { text: 'API reference', link: '/api/' },
    ],
    sidebar: {
      '/': [
        { text: 'Guides', items: guides },
        { text: 'API reference', link: '/api/', items: packages },
      ],
    },
    outline: [2, 3],
    search: { provider: 'local' },
  },
  // The local search index covers the whole reference and is one large chunk by nature.
  vite: { build: { chunkSizeWarningLimit: 4096 } },
  markdown: {
    config(md) {
      // The home page includes README.md, whose links point into docs/ from the repository root.
      md.core.ruler.push('readme-links', (state) => {
        if (state.env?.relativePath !== 'index.md') return;
        for (const token of state.tokens) {
          for (const child of token.children ?? []) {
            const href = child.type === 'link_open' ? child.attrGet('href') : null;
            if (href?.startsWith('docs/')) child.attrSet('href', `./${href.slice('docs/'.length)}`);
          }
        }
      });
    },
  },
});
