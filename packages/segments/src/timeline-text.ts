/** How the segments module's timeline entries read in English and Chinese. */
import type { TimelineTexts } from '@clientele/core/module';

/** The segments module's timeline texts: a key-account visit shows the words its visitor wrote. */
export const SEGMENTS_TIMELINE_TEXTS: TimelineTexts = {
  segments: {
    'key-account-visit': {
      en: (_f, s) => `Key-account visit: ${s.note}`,
      'zh-CN': (_f, s) => `大客户拜访：${s.note}`,
    },
  },
};
