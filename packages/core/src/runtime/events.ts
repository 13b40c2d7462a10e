/**
 * The in-process event bus: a typed mitt emitter whose listeners can never break a command.
 * Events reach it only after the transaction that caused them commits.
 */
import mitt, { type Emitter } from 'mitt';

/** A map of event names to payload types. */
export type EventMap = Record<string, unknown>;

/** A listener. It may be async; a throw or rejection is reported, never propagated. */
export type Listener<T> = (payload: T) => void | Promise<void>;

/** Typed subscription to committed events. */
export interface EventBus<E extends EventMap> {
  /** Subscribes to one event type; returns a function that unsubscribes. */
  on<K extends keyof E & string>(type: K, listener: Listener<E[K]>): () => void;
  /** Subscribes to every event: the listener gets the type and the payload. */
  onAny(listener: (type: keyof E & string, payload: E[keyof E]) => void | Promise<void>): () => void;
  /** Unsubscribes a listener given to `on`. */
  off<K extends keyof E & string>(type: K, listener: Listener<E[K]>): void;
}

/** The bus plus the emitting side, which only the kernel holds. */
export interface EventHub<E extends EventMap> extends EventBus<E> {
  /** @internal emits after commit */
  emit<K extends keyof E & string>(type: K, payload: E[K]): void;
}

/** Creates a bus; `report` receives what listeners throw. */
export function createEventHub<E extends EventMap>(report: (error: unknown, type: string) => void): EventHub<E> {
  const emitter: Emitter<Record<string, unknown>> = mitt();
  const wrapped = new Map<Listener<never>, Listener<unknown>>();

  const guard = (type: string, fn: (payload: unknown) => void | Promise<void>) => (payload: unknown) => {
    try {
      const r = fn(payload);
      if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch((e) => report(e, type));
    } catch (e) {
      report(e, type);
    }
  };

  return {
    on(type, listener) {
      const w = guard(type, listener as Listener<unknown>);
      wrapped.set(listener as Listener<never>, w);
      emitter.on(type, w);
      return () => this.off(type, listener);
    },
    onAny(listener) {
      const w = (type: string, payload: unknown) => guard(type, (p) => listener(type as never, p as never))(payload);
      emitter.on('*', w as never);
      return () => emitter.off('*', w as never);
    },
    off(type, listener) {
      const w = wrapped.get(listener as Listener<never>);
      if (w) {
        emitter.off(type, w);
        wrapped.delete(listener as Listener<never>);
      }
    },
    emit(type, payload) {
      emitter.emit(type, payload);
    },
  };
}
