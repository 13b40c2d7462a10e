/** What the browser test bundles: core and segments together. */
export * as core from '@clientele/core';
export * as seg from '@clientele/segments';
