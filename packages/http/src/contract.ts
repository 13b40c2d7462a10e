/**
 * The OpenAPI 3.1 document, from the same zod schemas the operations are checked with, and the page
 * that shows it as an interactive reference.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import { idempotencyKeySchema } from '@clientele/core/module';
import type { Operation } from './operations.js';
import { problemSchema } from './problems.js';

const PROBLEM = { $ref: '#/components/schemas/Problem' };

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: PROBLEM } },
});

function describe(op: Operation): string {
  const lines = [`Needs the permission \`${op.permission}\`. Audited as \`${op.audited}\`.`];
  if (op.idempotency === 'required')
    lines.push('Send an `Idempotency-Key`: a retry with the same key and body returns the first result.');
  else if (op.idempotency === 'optional')
    lines.push('Takes an `Idempotency-Key`: a retry with the same key and body returns the first result.');
  if (op.method === 'get') lines.push('Arrays are repeated parameters; times are ISO 8601 with an offset.');
  return lines.join('\n\n');
}

/** Registers every operation, the problem schema and the key scheme with the app's OpenAPI registry. */
export function registerContract(app: OpenAPIHono, operations: readonly Operation[]): void {
  const registry = app.openAPIRegistry;
  registry.register('Problem', problemSchema);
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key made with `crm.apiKeys.create` (or a token the host checks itself).',
  });
  for (const op of operations) {
    const request: Record<string, unknown> = {};
    if (op.method === 'get') request['query'] = op.input;
    else
      request['body'] = {
        required: true,
        content: { 'application/json': { schema: op.input } },
      };
    if (op.idempotency)
      request['headers'] = z.object({
        'Idempotency-Key': op.idempotency === 'required' ? idempotencyKeySchema : idempotencyKeySchema.optional(),
      });
    registry.registerPath({
      method: op.method,
      path: op.route,
      operationId: op.name,
      tags: [op.name.split('.')[0]!],
      summary: op.name,
      description: describe(op),
      request: request as never,
      responses: {
        200: {
          description: 'The result, as the SDK returns it: times as ISO 8601 text, money in minor units.',
          content: { 'application/json': { schema: {} } },
        },
        400: problemResponse('The request is not valid (`VALIDATION_FAILED`, with `issues`).'),
        401: problemResponse('No key, or a key that is unknown or revoked.'),
        403: problemResponse('The caller may not do this (`PERMISSION_DENIED`, `AUTHORITY_EXCEEDED`).'),
        404: problemResponse('Something the request names does not exist (`NOT_FOUND`).'),
        409: problemResponse('A clash with the current state (`CONFLICT`, `INVALID_STATE`, `INSUFFICIENT_BALANCE`).'),
        ...(op.method === 'post'
          ? {
              413: problemResponse('The body is larger than the limit.'),
              415: problemResponse('The body is not `application/json`.'),
            }
          : {}),
        ...(op.idempotency ? { 422: problemResponse('The idempotency key was used with another body.') } : {}),
        503: problemResponse('The store is unavailable (`STORE_UNAVAILABLE`); retry with the same key.'),
      },
    });
  }
}

/** The interactive reference (Scalar, loaded by the browser), reading the document beside it. */
export function referencePage(title: string, documentUrl: string): string {
  const config = JSON.stringify({ url: documentUrl }).replace(/</g, '\\u003c');
  const safeTitle = title.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html>
  <head>
    <title>${safeTitle}</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <div id="app"></div>
    <script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference@1"></script>
    <script>Scalar.createApiReference('#app', ${config})</script>
  </body>
</html>
`;
}
