/**
 * Browser tests of the examples: Debian's Chromium driven by playwright-core, and the example's
 * server on a free port of 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's package puts Chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether Chromium is installed. */
export const chromiumPresent = (): boolean => existsSync(CHROMIUM);

/** Installs Debian's Chromium unless it is there (scripts/install-chromium.sh), and launches it headless. */
export async function launchChromium(): Promise<Browser> {
  const script = fileURLToPath(new URL('../../scripts/install-chromium.sh', import.meta.url));
  execFileSync('bash', [script], { stdio: 'inherit' });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Serves `fetch` on a free port of 127.0.0.1; answers the server and its base URL. */
export async function serveLocally(
  fetch: Parameters<typeof serve>[0]['fetch'],
): Promise<{ server: ReturnType<typeof serve>; base: string }> {
  const server = serve({ fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
