/**
 * The `clientele` command: bulk imports and the jobs a chain runs, on one `--store` URL. Every command
 * has `--help`; failures print one line with Clientele's error code; exit codes are in `EXIT`.
 */
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { AnyModule, Clientele } from '@clientele/core';
import { coreCollections } from '@clientele/core/adapter';
import { EXIT, type ExitCode } from './exit-codes.js';
import { UsageError, describeFailure } from './failure.js';
import { IMPORT_KINDS, runImport, type ImportKind } from './import/run-import.js';
import { parseInterval, repeat } from './jobs/loop.js';
import { migrationPlan, migrationsOf } from './jobs/migration-plan.js';
import { openRelay } from './jobs/relay.js';
import { loadConfig, openClientele, type GlobalOptions, type OpenOptions } from './open.js';
import { parseStoreUrl } from './store-url.js';

/** Where the command writes: stdout for results, stderr for progress and failures. */
export interface Streams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

const SYSTEM = { actor: { system: 'clientele-cli' } } as const;

/** Runs the command line `argv` (without `node` and the script); resolves with the exit code. */
export async function main(
  argv: readonly string[],
  streams: Streams = { stdout: process.stdout, stderr: process.stderr },
  signal: AbortSignal = new AbortController().signal,
): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const out = (line: string) => void streams.stdout.write(`${line}\n`);
  const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

  /** Opens Clientele, runs `body`, closes it; a failure becomes one line and an exit code. */
  const withCrm =
    <A extends unknown[]>(
      body: (crm: Clientele<AnyModule[]>, ...args: A) => Promise<unknown>,
      open: OpenOptions = {},
    ) =>
    async (...args: A) => {
      const cmd = args[args.length - 1] as Command;
      const { crm } = await openClientele(globals(cmd), open);
      try {
        const result = await body(crm, ...args);
        code = typeof result === 'number' ? (result as ExitCode) : EXIT.ok;
      } finally {
        await crm.close().catch(() => undefined);
      }
    };

  const program = new Command()
    .name('clientele')
    .description("Bulk imports from a retailer's old system, and the jobs a chain runs, on one store.")
    .addOption(
      new Option('--store <url>', 'the store: sqlite:crm.db, postgres://user@host/db, mysql://user@host/db').env(
        'CLIENTELE_STORE',
      ),
    )
    .addOption(
      new Option(
        '--config <file>',
        "a module exporting createClientele's options (default ./clientele.config.mjs)",
      ).env('CLIENTELE_CONFIG'),
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void streams.stdout.write(s),
      writeErr: (s) => void streams.stderr.write(s),
    });

  program
    .command('import')
    .description(
      'import an old system export: customers, organisations, sales, points or stored-value balances, ' +
        'from CSV or JSON lines',
    )
    .argument('<kind>', `what the file holds: ${IMPORT_KINDS.join(', ')}`)
    .argument('<file>', 'the export (.csv, or .jsonl for JSON lines)')
    .option('--map <file>', 'a JSON mapping of the export columns to import fields')
    .option('--encoding <name>', 'the text encoding of the file: utf-8, gbk, ...', 'utf-8')
    .addOption(
      new Option('--format <format>', 'csv or jsonl (default: by the file extension)').choices(['csv', 'jsonl']),
    )
    .option('--dry-run', 'check every row against the store and write nothing')
    .option('--batch <rows>', 'rows per transaction (1 to 5000)', (v) => Number(v), 1000)
    .option('--no-progress', 'print no progress')
    .action(
      withCrm(
        async (crm, kind: string, file: string, opts: Record<string, unknown>) => {
          if (!(IMPORT_KINDS as readonly string[]).includes(kind))
            throw new UsageError(`import ${kind}: give one of ${IMPORT_KINDS.join(', ')}`);
          if (!opts['dryRun']) await crm.migrate();
          const summary = await runImport(crm, {
            kind: kind as ImportKind,
            file,
            map: opts['map'] as string | undefined,
            encoding: opts['encoding'] as string,
            format: opts['format'] as 'csv' | 'jsonl' | undefined,
            dryRun: opts['dryRun'] === true,
            batchSize: opts['batch'] as number,
            progress: opts['progress'] === false ? null : streams.stderr,
            signal,
          });
          const verb = summary.dryRun ? 'would import' : 'imported';
          out(
            `${kind}: ${summary.rows} rows read, ${summary.imported} ${verb}, ${summary.skipped} imported before, ` +
              `${summary.rejected} rejected${summary.rejectsFile ? ` (see ${summary.rejectsFile})` : ''}` +
              `${summary.interrupted ? ', stopped before the end' : ''}`,
          );
          return summary.interrupted ? EXIT.interrupted : summary.rejected ? EXIT.rejected : EXIT.ok;
        },
        { bulkWrite: true },
      ),
    );

  program
    .command('migrate')
    .description('create or upgrade the tables of Clientele and of the configured modules')
    .option('--status', 'list the migrations applied and those that would run; change nothing')
    .option('--sql', 'print the SQL the migrations would run, for review; change nothing')
    .action(async (opts: { status?: boolean; sql?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      if (opts.status || opts.sql) {
        const url = g.store ?? process.env['CLIENTELE_STORE'];
        if (!url) throw new UsageError('no store: pass --store <url> or set CLIENTELE_STORE');
        const { config } = await loadConfig(g.config);
        const plan = await migrationPlan(parseStoreUrl(url), migrationsOf(config));
        if (opts.status) {
          for (const id of plan.applied) out(`applied  ${id}`);
          for (const id of plan.pending) out(`pending  ${id}`);
        }
        if (opts.sql) for (const s of plan.statements) out(`${s};`);
        return;
      }
      const { crm } = await openClientele(g);
      try {
        const result = await crm.migrate();
        for (const id of result.applied) out(`applied  ${id}`);
        out(`migrate: ${result.applied.length} applied, ${result.skipped.length} already applied`);
      } finally {
        await crm.close().catch(() => undefined);
      }
    });

  program
    .command('run-due')
    .description('run the work that has fallen due in every module (expiries, escalations)')
    .option('--every <interval>', 'run again every interval (30s, 1m, 1h) until stopped')
    .action(
      withCrm(async (crm, opts: { every?: string }) => {
        const every = opts.every === undefined ? undefined : parseInterval(opts.every);
        await repeat(
          async () => {
            const done = await crm.runDue();
            const parts = Object.entries(done).flatMap(([m, counts]) =>
              Object.entries(counts).map(([k, n]) => `${m}.${k} ${n}`),
            );
            out(`run-due ${crm.clock.now().toISOString()}: ${parts.length ? parts.join(', ') : 'nothing due'}`);
          },
          every,
          signal,
        );
      }),
    );

  program
    .command('relay')
    .description("send the outbox's events to NATS JetStream or to a registered webhook endpoint")
    .requiredOption('--to <url>', 'nats://host:4222, or the https:// URL of a webhook endpoint')
    .option('--subject-prefix <prefix>', 'NATS subjects <prefix>.<event type> (default clientele)')
    .option('--every <interval>', 'relay again every interval (1s, 30s) until stopped')
    .action(
      withCrm(async (crm, opts: { to: string; every?: string; subjectPrefix?: string }) => {
        const every = opts.every === undefined ? undefined : parseInterval(opts.every);
        const relay = await openRelay(crm, opts.to, { subjectPrefix: opts.subjectPrefix });
        try {
          await repeat(async () => out(await relay.round()), every, signal);
        } finally {
          await relay.close();
        }
      }),
    );

  program
    .command('rebuild-segments')
    .description("rebuild every customer's figures and segment memberships (the nightly job)")
    .action(
      withCrm(async (crm) => {
        const segments = (crm as unknown as { segments?: { rebuild(i: unknown, o: unknown): Promise<unknown> } })
          .segments;
        if (!segments) throw new UsageError('rebuild-segments: the configuration installs no segments module');
        const result = await segments.rebuild({}, SYSTEM);
        out(`rebuild-segments: ${JSON.stringify(result)}`);
      }),
    );

  program
    .command('export-customer')
    .description('everything held about a customer, as JSON (a subject access request)')
    .argument('<customerId>', "the customer's id")
    .option('--out <file>', 'write the JSON to this file rather than to stdout')
    .action(
      withCrm(async (crm, customerId: string, opts: { out?: string }) => {
        const data = await crm.privacy.exportCustomer({ customerId }, SYSTEM);
        const text = JSON.stringify(data, null, 2);
        if (opts.out) writeFileSync(opts.out, `${text}\n`);
        else out(text);
      }),
    );

  program
    .command('erase-customer')
    .description("erase a customer's personal data everywhere (purchases and ledgers stay under the bare id)")
    .argument('<customerId>', "the customer's id")
    .requiredOption('--reason <text>', 'why, for the audit: the request, the retention rule')
    .action(
      withCrm(async (crm, customerId: string, opts: { reason: string }) => {
        const result = await crm.privacy.eraseCustomer({ customerId, reason: opts.reason }, SYSTEM);
        out(`erase-customer: ${JSON.stringify(result)}`);
      }),
    );

  program
    .command('stats')
    .description('how many rows each collection holds, and how far each outbox consumer has read')
    .option('--json', 'print JSON')
    .action(
      withCrm(async (crm, opts: { json?: boolean }, cmd: Command) => {
        const { config } = await loadConfig(globals(cmd).config);
        const collections = [
          ...coreCollections,
          ...((config.modules ?? []) as readonly AnyModule[]).flatMap((m) => m.collections ?? []),
        ];
        const counts: Record<string, number> = {};
        for (const c of collections) counts[c.name] = await crm.store.count(c);
        const relayed: Record<string, number> = {};
        for (const consumer of ['nats', 'webhooks']) relayed[consumer] = await crm.outbox.position(consumer);
        if (opts.json) out(JSON.stringify({ collections: counts, outboxPositions: relayed }));
        else {
          for (const [name, n] of Object.entries(counts)) out(`${name.padEnd(32)} ${n}`);
          for (const [name, n] of Object.entries(relayed)) out(`${`outbox position ${name}`.padEnd(32)} ${n}`);
        }
      }),
    );

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and the version are not failures; anything else commander refused is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const failure = describeFailure(error);
    streams.stderr.write(`${failure.line}\n`);
    return failure.code;
  }
  return code;
}
