/**
 * `@clientele/complaints`.
 *
 * @packageDocumentation
 */
export {};
