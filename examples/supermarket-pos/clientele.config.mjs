// What the clientele command installs on the demo's database: the segments module, for rebuild-segments.
import { segments } from '@clientele/segments';

export default { modules: [segments()] };
