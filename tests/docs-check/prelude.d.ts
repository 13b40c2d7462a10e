/**
 * The names a guide's `ts fragment` block may use without defining them: a fragment is a piece
 * of a larger program, and this is the rest of that program as the guides describe it. The
 * guide check (tests/docs-types.test.ts) type-checks every fragment with these declared, so a
 * fragment that names anything else, or uses one of these wrongly, fails the tests.
 */
import type { Actor, Clientele, RecordSaleInput } from '@clientele/core';
import type { CommandContext, Kernel } from '@clientele/core/module';
import type { complaints, ComplaintsConfigInput } from '@clientele/complaints';
import type { loyalty, ProgramInput } from '@clientele/loyalty';
import type { segments } from '@clientele/segments';
import type { postgresStore } from '@clientele/postgres';

declare global {
  /** A Clientele instance with every module installed. */
  const crm: Clientele<[ReturnType<typeof loyalty>, ReturnType<typeof complaints>, ReturnType<typeof segments>]>;
  /** The person or system acting: `{ actor }` is a command's or a read's options. */
  const actor: Actor;
  /** Options of a setup command run by a system actor. */
  const system: { actor: Actor };
  /** Options of a head-office command. */
  const HQ: { actor: Actor };
  /** A key that makes a retried command return its first result. */
  const idempotencyKey: string;
  /** A customer's id. */
  const customerId: string;
  /** A complaint case's id. */
  const caseId: string;
  /** A voucher's code as typed or scanned. */
  const code: string;
  /** A stored-value card's number. */
  const cardNumber: string;
  /** The start and end of a reporting period. */
  const from: Date;
  const to: Date;
  /** A basket's lines. */
  const lines: RecordSaleInput['lines'];
  /** A basket's total, in minor units. */
  const total: number;
  /** A sale as the till sends it. */
  const sale: RecordSaleInput;
  /** A loyalty program. */
  const program: ProgramInput;
  /** A complaints configuration. */
  const ladder: ComplaintsConfigInput;
  /** The kernel a module's `setup` receives. */
  const kernel: Kernel;
  /** The context a module's command runs in. */
  const ctx: CommandContext;
  /** A PostgreSQL store. */
  const store: ReturnType<typeof postgresStore>;
}
