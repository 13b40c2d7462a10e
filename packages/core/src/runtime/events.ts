/**
 * The in-process event bus: a typed mitt emitter whose listeners can never break a command.
 * Events reach it only after the transaction that caused them commits.
 */
import mitt, { type Emitter } from 'mitt';

/** A map of event names to payload types. */
export type EventMap = Record<string, unknown>;

/** A listener. It may be async; a throw or rejection is reported, never propagated. */
export type Listener<T> = (payload: T) => void | Promise<void>;

/**
 * Typed subscription to committed events. As with mitt, a listener given twice for one type is called
 * twice; `off` removes one of those subscriptions (the earliest), and each function `on` or `onAny`
 * returns removes its own subscription only, however often it is called.
 */
export interface EventBus<E extends EventMap> {
  /** Subscribes to one event type; returns a function that ends this subscription. */
  on<K extends keyof E & string>(type: K, listener: Listener<E[K]>): () => void;
  /**
   * Subscribes to every event: the listener gets the type and the payload. Returns a function that ends this
   * subscription.
   */
  onAny(listener: (type: keyof E & string, payload: E[keyof E]) => void | Promise<void>): () => void;
  /** Ends the earliest subscription of `listener` to `type` made with `on`; other types keep theirs. */
  off<K extends keyof E & string>(type: K, listener: Listener<E[K]>): void;
}

/** The bus plus the emitting side, which only the kernel holds. */
export interface EventHub<E extends EventMap> extends EventBus<E> {
  /** @internal emits after commit */
  emit<K extends keyof E & string>(type: K, payload: E[K]): void;
}

type Wrapper = (payload: unknown) => void;

/** Creates a bus; `report` receives what listeners throw. */
export function createEventHub<E extends EventMap>(report: (error: unknown, type: string) => void): EventHub<E> {
  const emitter: Emitter<Record<string, unknown>> = mitt();
  // Per type, per listener, the wrappers of its subscriptions in the order they were made.
  const wrapped = new Map<string, Map<Listener<never>, Wrapper[]>>();

  const guard =
    (type: string, fn: (payload: unknown) => void | Promise<void>): Wrapper =>
    (payload: unknown) => {
      try {
        const r = fn(payload);
        if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch((e) => report(e, type));
      } catch (e) {
        report(e, type);
      }
    };

  function remove(type: string, listener: Listener<never>, wrapper?: Wrapper): void {
    const byListener = wrapped.get(type);
    const list = byListener?.get(listener);
    if (!byListener || !list) return;
    const at = wrapper === undefined ? 0 : list.indexOf(wrapper);
    if (at < 0) return;
    const [w] = list.splice(at, 1);
    emitter.off(type, w!);
    if (list.length === 0) byListener.delete(listener);
    if (byListener.size === 0) wrapped.delete(type);
  }

  return {
    on(type, listener) {
      const w = guard(type, listener as Listener<unknown>);
      const byListener = wrapped.get(type) ?? new Map<Listener<never>, Wrapper[]>();
      wrapped.set(type, byListener);
      const list = byListener.get(listener as Listener<never>) ?? [];
      byListener.set(listener as Listener<never>, list);
      list.push(w);
      emitter.on(type, w);
      return () => remove(type, listener as Listener<never>, w);
    },
    onAny(listener) {
      const w = (type: string, payload: unknown) => guard(type, (p) => listener(type as never, p as never))(payload);
      emitter.on('*', w as never);
      return () => emitter.off('*', w as never);
    },
    off(type, listener) {
      remove(type, listener as Listener<never>);
    },
    emit(type, payload) {
      emitter.emit(type, payload);
    },
  };
}
