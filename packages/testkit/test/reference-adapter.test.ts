import { runStoreConformance } from '@clientele/testkit';
import { pushdownStore, throughStoreProbe } from './adapters.js';

// Every test runs here, push-downs and probe checks included, against a store known to conform.
runStoreConformance('memory with push-downs and a probe', {
  create: async () => pushdownStore(),
  probe: throughStoreProbe,
});
