/**
 * `@clientele/segments`.
 *
 * @packageDocumentation
 */
export {};
