/** The shared adapter test collections and helpers, with this adapter's own migration id. */
import { migrationsOf } from '../../../tests/support/adapter-fixtures.js';

export { account, accounts, barrier, notes, rejection, vouchers } from '../../../tests/support/adapter-fixtures.js';
export const migrations = migrationsOf('mytest/0001');
