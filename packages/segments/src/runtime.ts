/** What the segments services share: the kernel, the resolved settings and the condition kinds. */
import type { ResolvedSegmentsConfig } from './config.js';
import type { ConditionRegistry } from './definition.js';
import type { SegmentsKernel } from './events.js';

/** The services' shared runtime. */
export interface SegmentsRuntime {
  readonly kernel: SegmentsKernel;
  readonly config: ResolvedSegmentsConfig;
  /** The built-in condition kinds and the host's. */
  readonly registry: ConditionRegistry;
}
