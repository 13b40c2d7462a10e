/**
 * What the HTTP figures share: the API served on a loopback port in this process, and the client
 * process (`http-client.ts`) that sends it requests.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import type { Clientele } from '@clientele/core';
import { clienteleApi } from '@clientele/http';
import type { ClientJob, ClientResult } from './http-client.js';

/** `crm`'s HTTP API on 127.0.0.1 at a free port. */
export async function serveApi(crm: Clientele<any>): Promise<{ url: string; close(): Promise<void> }> {
  const server = serve({ fetch: clienteleApi(crm).fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The client process: `run` hands it a job and resolves with what it measured. */
export function clientProcess(): { run(job: ClientJob): Promise<ClientResult>; close(): void } {
  const child: ChildProcess = fork(fileURLToPath(new URL('./http-client.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    run(job) {
      return new Promise((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`the client process exited with ${code}`));
        child.once('exit', onExit);
        child.once('message', (reply: { ok: true; result: ClientResult } | { ok: false; error: string }) => {
          child.off('exit', onExit);
          if (reply.ok) resolve(reply.result);
          else reject(new Error(`the client failed: ${reply.error}`));
        });
        child.send(job);
      });
    },
    close() {
      if (child.connected) child.send({ kind: 'exit' });
    },
  };
}
