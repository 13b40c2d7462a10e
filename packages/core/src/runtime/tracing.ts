/**
 * OpenTelemetry spans per command, through `@opentelemetry/api`: a no-op until the host installs an
 * OpenTelemetry SDK, then one span per command (`clientele <command>`) with its outcome and error code.
 */
import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { isClienteleError } from '../errors.js';

const tracer = trace.getTracer('@clientele/core');

/** Runs `body` inside a span named for the command; the span ends with its outcome. */
export function inCommandSpan<T>(command: string, body: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(
    `clientele ${command}`,
    { attributes: { 'clientele.command': command } },
    async (span: Span) => {
      try {
        const result = await body();
        span.setAttribute('clientele.outcome', 'ok');
        return result;
      } catch (error) {
        const code = isClienteleError(error) ? error.code : 'UNEXPECTED';
        span.setAttributes({ 'clientele.outcome': 'refused', 'clientele.error_code': code });
        // A refusal (bad input, no authority) is the command working; only unexpected errors are span errors.
        if (!isClienteleError(error))
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: error instanceof Error ? error.message : String(error),
          });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
