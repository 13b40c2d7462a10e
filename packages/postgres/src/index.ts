/**
 * `@clientele/postgres`.
 *
 * @packageDocumentation
 */
export {};
