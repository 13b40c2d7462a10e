import { memoryStore } from '@clientele/core';
import { runStoreConformance } from '@clientele/testkit';

// The reference store: no database to inspect, so no probe.
runStoreConformance('memory', { create: async () => memoryStore() });
