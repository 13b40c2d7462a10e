/**
 * What a host sees of Clientele's work: a pino-style logger gets each command's name and outcome and
 * never its input, and an OpenTelemetry tracer (once the host installs one) gets a span per command.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  trace,
  type Attributes,
  type Span,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { memoryStore, type Logger } from '@clientele/core';
import { CLERK, GUARD, openChain } from './support/chain.js';

/** A span that keeps what it is told. */
class RecordedSpan {
  attributes: Attributes = {};
  status: SpanStatus | null = null;
  ended = false;
  constructor(readonly name: string) {}
  spanContext() {
    return { traceId: `${'0'.repeat(31)}1`, spanId: `${'0'.repeat(15)}1`, traceFlags: 1 };
  }
  setAttribute(key: string, value: unknown) {
    this.attributes[key] = value as never;
    return this;
  }
  setAttributes(attributes: Attributes) {
    Object.assign(this.attributes, attributes);
    return this;
  }
  setStatus(status: SpanStatus) {
    this.status = status;
    return this;
  }
  addEvent() {
    return this;
  }
  addLink() {
    return this;
  }
  addLinks() {
    return this;
  }
  updateName() {
    return this;
  }
  recordException() {}
  isRecording() {
    return true;
  }
  end() {
    this.ended = true;
  }
}

const spans: RecordedSpan[] = [];
function startSpan(name: string): Span {
  const span = new RecordedSpan(name);
  spans.push(span);
  return span as unknown as Span;
}
const tracer = {
  startSpan,
  startActiveSpan(name: string, ...rest: unknown[]) {
    const fn = rest[rest.length - 1] as (span: Span) => unknown;
    return fn(startSpan(name));
  },
} as unknown as Tracer;
const provider: TracerProvider = { getTracer: () => tracer };

describe('logging and tracing', () => {
  afterAll(() => trace.disable());

  it("logs each command's name and outcome, a refusal with its code, and never the input", async () => {
    const lines: Array<{ level: string; fields: Record<string, unknown>; message: string | undefined }> = [];
    const at = (level: string) => (fields: Record<string, unknown>, message?: string) =>
      void lines.push({ level, fields, message });
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const { crm } = await openChain(memoryStore(), { logger });
    lines.length = 0;
    await crm.customers.register({ kind: 'individual', name: '周小梅', phone: '13912345678' }, CLERK);
    const refused = await crm.customers.register({ kind: 'individual', name: '周小梅' }, GUARD).catch((e) => e);
    expect(refused.code).toBe('PERMISSION_DENIED');
    expect(lines).toEqual([
      { level: 'debug', fields: { command: 'customers.register', outcome: 'ok' }, message: 'command done' },
      {
        level: 'info',
        fields: { command: 'customers.register', outcome: 'refused', code: 'PERMISSION_DENIED' },
        message: 'command refused',
      },
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/13912345678|周小梅/);
  });

  it(
    'gives each command a span with its outcome once a tracer is installed, and marks only unexpected ' +
      'failures as errors',
    async () => {
      const { crm } = await openChain(memoryStore());
      trace.setGlobalTracerProvider(provider);
      spans.length = 0;
      await crm.customers.register({ kind: 'individual', name: 'Ann Lee' }, CLERK);
      await crm.customers.register({ kind: 'individual', name: '' }, CLERK).catch(() => undefined);
      expect(
        spans.map((s) => [
          s.name,
          s.attributes['clientele.outcome'],
          s.attributes['clientele.error_code'] ?? null,
          s.status,
          s.ended,
        ]),
      ).toEqual([
        ['clientele customers.register', 'ok', null, null, true],
        ['clientele customers.register', 'refused', 'VALIDATION_FAILED', null, true],
      ]);
    },
  );
});
