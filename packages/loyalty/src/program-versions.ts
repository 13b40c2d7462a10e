/**
 * Versions of the program. Each sale remembers the version that earned its points; a return is
 * worked out again with that version's rules, so changing the program never changes what an old
 * sale's return takes back.
 */
import { decodeJson, encodeJson, type JsonValue, type StoreSession } from '@clientele/core/module';
import { programsCollection } from './collections.js';
import { compileConfig, type CompiledProgram } from './compiled-program.js';
import type { KindRegistry, ProgramConfig } from './program.js';

/** Builds the version store around the current program. */
export function createProgramVersions(current: CompiledProgram, registry: KindRegistry) {
  const cache = new Map<string, CompiledProgram>([[current.version, current]]);
  let stored = false;

  /**
   * Stores the current version if it is not stored yet. Inside a transaction that may roll back, pass
   * `remember: false`: only a committed write may stop later checks.
   */
  async function ensureStored(session: StoreSession, now: Date, remember = true): Promise<void> {
    if (stored) return;
    if (!(await session.get(programsCollection, current.version))) {
      // JSON text round trip: the stored config is plain JSON whatever the store.
      await session.insert(programsCollection, {
        id: current.version,
        programId: current.config.id,
        config: decodeJson<JsonValue>(encodeJson(current.config)),
        createdAt: now,
      });
    }
    if (remember) stored = true;
  }

  /** The compiled program of a version (the current one, or one stored earlier). */
  async function get(session: StoreSession, version: string): Promise<CompiledProgram> {
    const hit = cache.get(version);
    if (hit) return hit;
    const row = await session.get(programsCollection, version);
    // A version that was never stored cannot have earned anything; fall back to the current rules.
    if (!row) return current;
    const compiled = compileConfig(row.config as unknown as ProgramConfig, registry);
    cache.set(version, compiled);
    return compiled;
  }

  return { current, ensureStored, get };
}

/** The program version store. */
export type ProgramVersions = ReturnType<typeof createProgramVersions>;
