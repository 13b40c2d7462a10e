/**
 * Whether the store layer may generate code (`new Function`) for its hot paths: where zod does, so an
 * environment that forbids it (a strict content security policy, `z.config({ jitless: true })`) gets
 * the plain loops and no refused attempt.
 */
import * as z from 'zod';

/** Whether code may be generated here. */
export function mayGenerateCode(): boolean {
  return z.core.util.allowsEval.value;
}
