/**
 * Errors as RFC 9457 problem details (`application/problem+json`): the SDK's stable `code`, the
 * failing `issues` with their paths, and the reason codes, so a caller in any language switches on
 * `code` (and `reason`) exactly as a TypeScript host does on a `ClienteleError`.
 */
import * as z from 'zod';
import { isClienteleError, type ErrorCode, type ValidationIssue } from '@clientele/core';

/** Where the problem types are described. */
export const PROBLEM_TYPE_BASE = 'https://github.com/clientele/clientele/blob/main/docs/http.md#problem-';

/** The HTTP status of each SDK error code. */
export const STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  PERMISSION_DENIED: 403,
  AUTHORITY_EXCEEDED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INSUFFICIENT_BALANCE: 409,
  INVALID_STATE: 409,
  IDEMPOTENCY_MISMATCH: 422,
  UNSUPPORTED: 501,
  STORE_UNAVAILABLE: 503,
};

const TITLES: Readonly<Record<ErrorCode | 'INTERNAL', string>> = {
  VALIDATION_FAILED: 'The request is not valid',
  PERMISSION_DENIED: 'Not allowed',
  AUTHORITY_EXCEEDED: 'Above the authority of the caller',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  INSUFFICIENT_BALANCE: 'Insufficient balance',
  INVALID_STATE: 'Not possible in the current state',
  IDEMPOTENCY_MISMATCH: 'Idempotency key reused with other input',
  UNSUPPORTED: 'Not supported by this store',
  STORE_UNAVAILABLE: 'The store is unavailable',
  INTERNAL: 'Internal error',
};

/** A problem details document as this API sends it. */
export interface Problem {
  /** A URI naming the kind of problem: one per `code`. */
  type: string;
  /** A short summary of the kind of problem. */
  title: string;
  /** The HTTP status. */
  status: number;
  /** What went wrong this time, for a developer reading logs. */
  detail: string;
  /** The SDK's error code (or `INTERNAL` for an unexpected failure). */
  code: ErrorCode | 'INTERNAL';
  /** The machine-readable reason where the code has several (`unique`, `in_flight`, `missing_key`). */
  reason?: string;
  /** Each failing value with its path (`VALIDATION_FAILED`). */
  issues?: ValidationIssue[];
  /**
   * The state that refused the command (`INVALID_STATE`: a card `blocked`, a case `closed`): the SDK
   * error's `details.status`, named so as not to clash with the HTTP status.
   */
  state?: string;
  /** Facts of the refusal that hold no personal data (the limit and amount, the permission needed). */
  [extra: string]: unknown;
}

/** The schema of {@link Problem}, for the OpenAPI document. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum([
      'VALIDATION_FAILED',
      'NOT_FOUND',
      'CONFLICT',
      'INSUFFICIENT_BALANCE',
      'PERMISSION_DENIED',
      'AUTHORITY_EXCEEDED',
      'IDEMPOTENCY_MISMATCH',
      'INVALID_STATE',
      'STORE_UNAVAILABLE',
      'UNSUPPORTED',
      'INTERNAL',
    ]),
    reason: z.string().optional(),
    state: z.string().optional(),
    issues: z
      .array(
        z.object({
          path: z.array(z.union([z.string(), z.number()])),
          code: z.string(),
          message: z.string(),
        }),
      )
      .optional(),
  })
  .catchall(z.unknown());

/** Details of an SDK error that may go to the caller: facts of the refusal, never ids of people or input values. */
const SAFE_DETAILS = [
  'what',
  'permission',
  'action',
  'amount',
  'limit',
  'period',
  'dailyLimit',
  'usedToday',
  'available',
  'required',
  'command',
] as const;

/** An error raised by the HTTP layer itself (a missing key, a body too large), with its status. */
export class HttpProblem extends Error {
  readonly problem: Problem;
  constructor(
    problem: {
      status: number;
      code: ErrorCode | 'INTERNAL';
      detail: string;
      title?: string;
      reason?: string;
      issues?: ValidationIssue[];
    } & Record<string, unknown>,
  ) {
    super(problem.detail);
    this.name = 'HttpProblem';
    this.problem = {
      type: typeFor(problem.code),
      title: problem.title ?? TITLES[problem.code],
      ...problem,
    } as Problem;
  }
}

function typeFor(code: ErrorCode | 'INTERNAL'): string {
  return `${PROBLEM_TYPE_BASE}${code.toLowerCase().replace(/_/g, '-')}`;
}

/** A `VALIDATION_FAILED` problem of the request itself (its JSON, its headers), with one issue. */
export function badRequest(path: Array<string | number>, issue: string, message: string): HttpProblem {
  return new HttpProblem({
    status: 400,
    code: 'VALIDATION_FAILED',
    detail: `${path.length ? path.join('.') : '(body)'}: ${message}`,
    issues: [{ path, code: issue, message }],
  });
}

/**
 * Paths of the command options as the HTTP caller gave them: the idempotency key is a header, the
 * actor is the caller's key, so neither is named as an `options` field they never sent.
 */
function requestPath(path: ReadonlyArray<string | number>): Array<string | number> {
  if (path[0] !== 'options') return [...path];
  if (path[1] === 'idempotencyKey') return ['headers', 'Idempotency-Key'];
  return ['headers', 'Authorization'];
}

/** The problem details for anything a handler threw. Unexpected errors say nothing of their insides. */
export function problemOf(error: unknown): Problem {
  if (error instanceof HttpProblem) return error.problem;
  if (!isClienteleError(error))
    return {
      type: typeFor('INTERNAL'),
      title: TITLES.INTERNAL,
      status: 500,
      detail: 'The request failed unexpectedly; it is logged on the server.',
      code: 'INTERNAL',
    };
  const problem: Problem = {
    type: typeFor(error.code),
    title: TITLES[error.code],
    status: STATUS_OF[error.code] ?? 500,
    detail: error.message,
    code: error.code,
  };
  const details = error.details as Record<string, unknown>;
  if (typeof details['reason'] === 'string') problem.reason = details['reason'];
  if (typeof details['status'] === 'string') problem.state = details['status'];
  const issues = (error as { issues?: readonly ValidationIssue[] }).issues;
  if (Array.isArray(issues))
    problem.issues = issues.map((i) => ({ path: requestPath(i.path), code: i.code, message: i.message }));
  else if (error.path.length) problem['path'] = requestPath(error.path);
  for (const name of SAFE_DETAILS) {
    const value = details[name];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') problem[name] = value;
  }
  return problem;
}

/** The problem as a response, `application/problem+json`. */
export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}
