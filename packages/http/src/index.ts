/**
 * `@clientele/http`: every command and read of Clientele over HTTP, for tills, e-shops and back
 * offices written in any language.
 *
 * - `clienteleApi(crm, options)` is a Hono app: `POST` for commands, `GET` (or `POST` for nested
 *   input) for reads, `/openapi.json` (OpenAPI 3.1 from the same zod schemas) and `/docs`.
 * - `apiKeys()` is the module that keeps the callers' keys (hashed) in the crm's own store.
 * - `createClient(baseUrl, { apiKey })` is a typed client for TypeScript hosts.
 * - `webhooks()` and `webhookRelay(crm)` send the outbox's events to endpoints, signed per Standard Webhooks.
 * - `natsRelay(crm, { js })` publishes the outbox's events to NATS JetStream, each once per stream.
 *
 * @packageDocumentation
 */
export { clienteleApi, type ClienteleApiOptions, type Caller } from './api.js';
export {
  apiKeys,
  apiKeysCollection,
  apiKeysMigrations,
  createApiKeySchema,
  revokeApiKeySchema,
  permissionSchema,
  hashSecret,
  type ApiKey,
  type ApiKeyActor,
  type ApiKeysApi,
  type KeyCheck,
  type NewApiKey,
} from './api-keys.js';
export {
  webhooks,
  webhookRelay,
  webhookEndpointsCollection,
  webhookDeliveriesCollection,
  webhooksMigrations,
  addEndpointSchema,
  signWebhook,
  wantsEvent,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookRelay,
  type WebhookRelayOptions,
  type WebhookRound,
} from './webhooks.js';
export {
  natsRelay,
  natsMessageOf,
  type JetStreamPublisher,
  type NatsEventMessage,
  type NatsRelay,
  type NatsRelayOptions,
  type NatsRound,
} from './nats-relay.js';
export {
  createClient,
  ClienteleApiError,
  type ClientOptions,
  type Jsonified,
  type NotServed,
  type NotServedPath,
  type RemoteAnswer,
  type WithoutReader,
  type IsCommandOptions,
  type RemoteCall,
  type RemoteClientele,
  type RemoteCommandOptions,
  type StandardClientele,
} from './client.js';
export {
  operationsOf,
  readBinding,
  routeOf,
  type ReadBinding,
  type FieldKind,
  type Operation,
  type OperationTable,
} from './operations.js';
export {
  READS,
  WRAPPERS,
  EXCLUDED,
  type ArgSpec,
  type ObjectSchema,
  type ReadSpec,
  type WrapperSpec,
  type Exclusion,
} from './reads.js';
export { HttpProblem, problemOf, problemSchema, STATUS_OF, PROBLEM_TYPE_BASE, type Problem } from './problems.js';
