/**
 * Reading a request's input: a JSON body within the size limit, or the fields of a read from the query
 * string. Whatever is wrong with it is a problem of its own (415, 413, 400), never an exception.
 */
import type { FieldKind } from './operations.js';
import { HttpProblem, badRequest } from './problems.js';

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;.*)?$/i;

function tooLarge(limit: number): HttpProblem {
  return new HttpProblem({
    status: 413,
    code: 'VALIDATION_FAILED',
    reason: 'body_too_large',
    limit,
    detail: `The body is larger than ${limit} bytes.`,
  });
}

/** The body of a request as JSON: `application/json`, at most `limit` bytes, UTF-8, well formed. */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const type = request.headers.get('content-type');
  if (!type || !JSON_TYPE.test(type))
    throw new HttpProblem({
      status: 415,
      code: 'VALIDATION_FAILED',
      reason: 'unsupported_media_type',
      detail: 'Send the body as application/json.',
    });
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  const bytes = await readLimited(request, limit);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badRequest([], 'malformed_json', 'the body is not UTF-8 text');
  }
  if (text.trim() === '') throw badRequest([], 'malformed_json', 'the body is empty; send a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest([], 'malformed_json', `the body is not JSON: ${(error as Error).message}`);
  }
}

/** Reads the body, stopping as soon as it passes `limit` (a missing or lying length header changes nothing). */
async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** A query-string value as the field's kind; text that is not one stays text, for the read to refuse by name. */
function coerce(text: string, kind: FieldKind | null): unknown {
  if ((kind === 'number' || kind === 'integer') && NUMBER.test(text)) return Number(text);
  if (kind === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

/** The fields of a read from a query string: each named field once (arrays repeat), no unknown ones. */
export function readQuery(
  params: URLSearchParams,
  fields: ReadonlyMap<string, FieldKind | null>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of new Set(params.keys())) {
    if (!fields.has(name)) throw badRequest([name], 'unrecognized_keys', `unknown parameter ${name}`);
    const values = params.getAll(name);
    const kind = fields.get(name)!;
    if (kind === 'array') out[name] = values;
    else if (values.length > 1) throw badRequest([name], 'repeated', `parameter ${name} is given more than once`);
    else out[name] = coerce(values[0]!, kind);
  }
  return out;
}
