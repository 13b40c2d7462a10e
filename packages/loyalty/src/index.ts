/**
 * `@clientele/loyalty`.
 *
 * @packageDocumentation
 */
export {};
