/**
 * Packages a guide's example uses that Clientele does not install: a message broker's client.
 * Declared with just the calls the guides make, so those examples type-check too.
 */

declare module 'nats' {
  export interface MsgHdrs {
    set(key: string, value: string): void;
  }
  export interface JetStreamClient {
    publish(subject: string, data: string, options?: { headers?: MsgHdrs }): Promise<unknown>;
  }
  export interface NatsConnection {
    jetstream(): JetStreamClient;
  }
  export function connect(options: { servers: string }): Promise<NatsConnection>;
  export function headers(): MsgHdrs;
}
