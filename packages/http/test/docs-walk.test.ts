/**
 * The curl walk of docs/http.md runs as written: each `curl` of the section "Getting started with
 * curl" is read as the shell would read it (quotes, `$VAR`, `VAR=$(curl ... | jq -r .field)`) and
 * sent to the app in process. Each must succeed, but where the guide shows the problem it answers
 * with, which must then be that problem.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { purchaseReturnsCollection, purchasesCollection } from '@clientele/core/module';
import { root } from '../../../tests/support/markdown.js';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { clienteleApi } from '../src/index.js';
import { SYSTEM, openKeyedChain } from './support.js';

interface Block {
  lang: string;
  text: string;
}

/** The fenced blocks of the walk's section, in order. */
function walkBlocks(): Block[] {
  const guide = readFileSync(`${root}docs/http.md`, 'utf8');
  const start = guide.indexOf('## Getting started with curl');
  const section = guide.slice(start, guide.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, text: m[2]! }));
}

/** A shell word list, as `sh` reads one command: quotes, escapes, `$NAME`, `$(...)` kept as one word. */
function commands(script: string, vars: Record<string, string>): string[][] {
  const out: string[][] = [];
  let words: string[] = [];
  let word: string | null = null;
  const expand = (name: string) => vars[name] ?? '';
  const push = () => {
    if (word !== null) words.push(word);
    word = null;
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (c === '\\' && script[i + 1] === '\n') {
      i++;
      continue;
    }
    if (c === '\n' || c === ';') {
      push();
      if (words.length) out.push(words);
      words = [];
    } else if (c === ' ' || c === '\t') push();
    else if (c === '#' && word === null) while (i + 1 < script.length && script[i + 1] !== '\n') i++;
    else if (c === "'") {
      const end = script.indexOf("'", i + 1);
      word = (word ?? '') + script.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = '';
      for (i++; script[i] !== '"'; i++) {
        const d = script[i]!;
        if (d === '\\' && ['"', '\\', '$'].includes(script[i + 1]!)) text += script[++i];
        else if (d === '$') {
          const name = /^[A-Z_]+/.exec(script.slice(i + 1))![0];
          text += expand(name);
          i += name.length;
        } else text += d;
      }
      word = (word ?? '') + text;
    } else if (c === '$' && script[i + 1] === '(') {
      let depth = 0;
      let end = i + 1;
      let quote: string | null = null;
      for (; end < script.length; end++) {
        const d = script[end]!;
        if (quote) {
          if (d === quote && script[end - 1] !== '\\') quote = null;
        } else if (d === "'" || d === '"') quote = d;
        else if (d === '(') depth++;
        else if (d === ')' && --depth === 0) break;
      }
      word = `${word ?? ''}\u0000${script.slice(i + 2, end)}`;
      i = end;
    } else if (c === '$') {
      const name = /^[A-Z_]+/.exec(script.slice(i + 1))![0];
      word = (word ?? '') + expand(name);
      i += name.length;
    } else word = (word ?? '') + c;
  }
  push();
  if (words.length) out.push(words);
  return out;
}

interface Curl {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

function readCurl(words: string[]): Curl {
  expect(words[0]).toBe('curl');
  const curl: Curl = { method: 'GET', url: '', headers: {} };
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-sS' || w === '-s') continue;
    if (w === '-X') curl.method = words[++i]!;
    else if (w === '-H') {
      const [name, ...value] = words[++i]!.split(':');
      curl.headers[name!.toLowerCase()] = value.join(':').trim();
    } else if (w === '-d') {
      curl.body = words[++i]!;
      if (curl.method === 'GET') curl.method = 'POST';
    } else if (w.startsWith('-')) throw new Error(`the walk uses a curl option this test does not read: ${w}`);
    else curl.url = w;
  }
  return curl;
}

const KINDS = STORE_KINDS.filter((k) => k.name !== 'memory');
afterAll(async () => {
  for (const k of KINDS) await k.cleanup();
});

describe.each(KINDS)('the curl walk of docs/http.md on $name', (kind) => {
  it('runs as written', async () => {
    const chain = await openKeyedChain(await kind.open());
    const HQ = SYSTEM;
    await chain.crm.roles.define(
      {
        id: 'till',
        name: 'Counter clerk',
        permissions: ['customers.read', 'customers.write', 'cards.issue', 'cards.read', 'sales.record', 'sales.return'],
        limits: { refund: 5000 },
      },
      HQ,
    );
    await chain.crm.staff.add({ id: 'S01-T1', name: 'Till 1', storeId: 'S01', roleId: 'till' }, HQ);
    const { token } = await chain.keys.create({ name: 'Till 1', actor: { staffId: 'S01-T1' } }, HQ);
    const app = clienteleApi(chain.crm);
    const given = { CRM: 'http://localhost:8080', KEY: token };
    const vars: Record<string, string> = { ...given };
    let sent = 0;

    const send = async (words: string[], expected: { status: number; problem?: any } | null) => {
      const curl = readCurl(words);
      const url = new URL(curl.url);
      const response = await app.request(`${url.pathname}${url.search}`, {
        method: curl.method,
        headers: curl.headers,
        ...(curl.body !== undefined ? { body: curl.body } : {}),
      });
      const answer = await response.json();
      sent++;
      if (expected) {
        expect(response.status).toBe(expected.status);
        // The problem as the guide shows it, word for word.
        expect(answer).toEqual(expected.problem);
      } else expect([response.status, answer]).toEqual([200, expect.anything()]);
      return answer;
    };

    const blocks = walkBlocks();
    for (const [n, block] of blocks.entries()) {
      if (block.lang !== 'sh') continue;
      const next = blocks[n + 1];
      const shown = next?.lang === 'json' ? JSON.parse(next.text) : null;
      const list = commands(block.text, vars);
      for (const [i, words] of list.entries()) {
        const expected = shown && i === list.length - 1 ? { status: shown.status, problem: shown } : null;
        if (words[0] === 'export') {
          const [name, value] = words[1]!.split(/=(.*)/s) as [string, string];
          if (!(name in given)) vars[name] = value;
        } else if (words.length === 1 && words[0]!.includes('=\u0000')) {
          const [name, inner] = words[0]!.split('=\u0000') as [string, string];
          const [curlText, jq] = inner.split(/\|\s*jq -r /) as [string, string];
          const answer = await send(commands(curlText, vars)[0]!, expected);
          vars[name] = String(
            jq
              .trim()
              .slice(1)
              .split('.')
              .reduce((v: any, k) => v[k], answer),
          );
        } else await send(words, expected);
      }
    }
    expect(sent).toBeGreaterThanOrEqual(8);
    expect(vars['MEMBER']).toMatch(/^cus_/);
    expect(await chain.crm.store.count(purchasesCollection)).toBe(1);
    expect(await chain.crm.store.count(purchaseReturnsCollection)).toBe(1);
    await chain.crm.close();
  });
});
