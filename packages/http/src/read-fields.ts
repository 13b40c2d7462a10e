/**
 * The request fields a read's positional arguments fill: shared by the server's bindings (which have
 * the schemas) and the client's (which need only the fields' names, so they leave the schemas out).
 */
import { invalid } from '@clientele/core/module';

/**
 * The request's fields from a read's positional arguments: each argument fills the field named at its
 * place, or, where the name is `null`, is an object whose own fields are request fields. An argument
 * left `undefined` sends nothing; one that should be an object and is not is refused (`invalid_type`).
 */
export function requestFields(names: readonly (string | null)[], args: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  names.forEach((name, i) => {
    const value = args[i];
    if (value === undefined) return;
    if (name !== null) out[name] = value;
    else if (typeof value === 'object' && value !== null) Object.assign(out, value);
    else throw invalid([i], 'invalid_type', 'expected an object of options');
  });
  return out;
}
