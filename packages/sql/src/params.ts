/** Bound parameters, collected while a statement's text is written. */
import type { Dialect } from './dialect.js';

/** A statement's text and the values bound to its parameters, in order. */
export interface SqlStatement {
  /** The SQL text, with the dialect's parameter markers. */
  readonly text: string;
  /** The values bound to the markers, in order, already encoded for the database. */
  readonly params: unknown[];
}

/** Collects parameter values and hands out their markers in the dialect's style. */
export class ParamList {
  /** The values bound so far, in marker order. */
  readonly values: unknown[] = [];

  constructor(private readonly dialect: Dialect) {}

  /** Binds `value` and returns its marker. */
  add(value: unknown): string {
    this.values.push(value);
    return this.dialect.placeholder(this.values.length);
  }
}
