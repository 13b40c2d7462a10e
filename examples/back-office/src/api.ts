/** The typed client of Clientele's HTTP API the pages read and act through, as the signed-in person. */
import { createClient, type StandardClientele, type RemoteClientele } from '@clientele/http';

/** The API as the pages call it. */
export type Api = RemoteClientele<StandardClientele>;

/**
 * A client that sends each call to `fetch` (the app's own handler: no network hop) with the request's
 * cookie, so the API acts as whoever the cookie says signed in.
 */
export function apiFor(fetch: (url: string, init: RequestInit) => Response | Promise<Response>, cookie: string): Api {
  return createClient<StandardClientele>('http://back-office/api', { fetch, headers: { cookie } }) as Api;
}
