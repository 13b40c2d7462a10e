/** Opens the back office on a SQLite file with the demo's data (made on first start). */
import { createClientele, type Clientele } from '@clientele/core';
import { complaints } from '@clientele/complaints';
import { loyalty } from '@clientele/loyalty';
import { segments } from '@clientele/segments';
import { sqliteStore } from '@clientele/sqlite';
import type { Hono } from 'hono';
import { TIANTIAN_LADDER } from '../../supermarket-pos/src/sections/complaints.js';
import { TIANTIAN_POINTS } from '../../supermarket-pos/src/sections/loyalty.js';
import { backOffice } from './app.js';
import { prepareChain } from './chain-setup.js';
import { ensureDemoDatabase, lastActAt, runningFrom } from './demo-data.js';
import type { Locale } from './messages.js';
import { demoSignIns } from './staff-sign-in.js';

/** The opened back office: its app, the instance under it, and whether the database was made now. */
export interface OpenedBackOffice {
  app: Hono;
  crm: Clientele;
  made: boolean;
  close(): Promise<void>;
}

/** Opens (and on first start makes) the back office's database and wires the app on it. */
export async function openBackOffice(options: {
  file: string;
  secret: string;
  defaultLocale?: Locale;
}): Promise<OpenedBackOffice> {
  const made = ensureDemoDatabase(options.file);
  const store = sqliteStore({ file: options.file });
  const clock = runningFrom(new Date((await lastActAt(store)).getTime() + 60_000));
  const crm = createClientele({
    store,
    clock,
    modules: [loyalty(TIANTIAN_POINTS), complaints(TIANTIAN_LADDER), segments()] as const,
  });
  await crm.migrate();
  if (made) await prepareChain(crm);
  const app = backOffice({
    crm: crm as unknown as Clientele,
    signIns: demoSignIns(),
    secret: options.secret,
    clock,
    causes: TIANTIAN_LADDER.causes ?? [],
    ...(options.defaultLocale ? { defaultLocale: options.defaultLocale } : {}),
  });
  return { app, crm: crm as unknown as Clientele, made, close: () => crm.close() };
}
