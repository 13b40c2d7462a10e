/**
 * Satisfaction surveys: invitations after sampled purchases (in the sale's own transaction) and after
 * closed cases, responses with scores per indicator, and scores per indicator, store, segment and
 * period with the trend against the period before. A low score opens a case, so dissatisfaction the
 * customer never voiced enters the same ladder.
 */
import {
  mustGet,
  InvalidStateError,
  NotFoundError,
  codeSchema,
  idSchema,
  instantSchema,
  invalid,
  longTextSchema,
  parseInput,
  scan,
  type AggregateRow,
  type CommandOptions,
  type EventHandlerEntry,
  type QueryOptions,
  type ResultPage,
  type StoreSession,
  type Where,
} from '@clientele/core/module';
import * as z from 'zod';
import {
  activeCustomerId,
  calendarOf,
  createCase,
  segmentsOfCustomer,
  type ComplaintsRuntime,
  type ComplaintsContext,
  type ComplaintsEventMap,
} from './case-engine.js';
import {
  answersCollection,
  invitationsCollection,
  responsesCollection,
  type InvitationRow,
  type ResponseRow,
} from './collections.js';
import { lowScoresOf, type Questionnaire } from './config.js';
import type { ComplaintEvents } from './events.js';
import {
  isLowScore,
  isSampled,
  mean,
  netPromoterScore,
  normalise,
  onScale,
  promoterClass,
  scaleRange,
  type Scale,
} from './questionnaires.js';
import {
  SATISFACTION_WINDOW,
  responseScore,
  satisfactionTrend,
  type SatisfactionPoint,
  type SatisfactionTrend,
} from './survey-satisfaction.js';
import { millisecondsInDay } from 'date-fns/constants';

/** A survey invitation. */
export type SurveyInvitation = InvitationRow;
/** A survey response. */
export type SurveyResponse = ResponseRow;

/** Input of `surveys.invite`. */
export const inviteSchema = z
  .object({
    questionnaireId: codeSchema,
    storeId: codeSchema,
    customerId: idSchema.optional(),
    /** What the survey is about (default: a manual invitation of its own). */
    ref: z
      .object({ type: z.string().regex(/^[a-z][a-z-]{0,39}$/), id: idSchema })
      .strict()
      .optional(),
  })
  .strict();

/** Input of `surveys.respond`. */
export const respondSchema = z
  .object({
    /** The invitation answered; or give `questionnaireId` and `storeId` for a walk-up response. */
    invitationId: idSchema.optional(),
    questionnaireId: codeSchema.optional(),
    storeId: codeSchema.optional(),
    customerId: idSchema.optional(),
    /** Scores by question id. */
    answers: z
      .record(codeSchema, z.number().int('scores are whole numbers'))
      .refine((a) => Object.keys(a).length > 0, 'answer at least one question'),
    comment: longTextSchema.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.invitationId) {
      for (const f of ['questionnaireId', 'storeId', 'customerId'] as const) {
        if (r[f] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [f],
            message: 'comes from the invitation',
            params: { code: 'not_allowed' },
          });
      }
    } else {
      if (!r.questionnaireId)
        ctx.addIssue({
          code: 'custom',
          path: ['questionnaireId'],
          message: 'name the questionnaire or the invitation',
          params: { code: 'required' },
        });
      if (!r.storeId)
        ctx.addIssue({
          code: 'custom',
          path: ['storeId'],
          message: 'name the store or the invitation',
          params: { code: 'required' },
        });
    }
  });

/** Input of `surveys.scores`. */
export const scoresSchema = z
  .object({
    from: instantSchema,
    to: instantSchema,
    /** `indicator`: one row per indicator; `store`: per store and indicator; `segment`: per segment and indicator. */
    by: z.enum(['indicator', 'store', 'segment']).default('indicator'),
    storeId: codeSchema.optional(),
    questionnaireId: codeSchema.optional(),
  })
  .strict()
  .refine((q) => q.from.getTime() < q.to.getTime(), { message: 'the period ends after it starts', path: ['to'] });

/** Scores of one indicator in one period. */
export interface ScoreFigures {
  answers: number;
  /** Mean on the question's own scale. */
  average: number | null;
  /** Mean on a 0-100 scale, comparable across scales. */
  score: number | null;
  /** Net promoter score, for 0-10 questions. */
  nps: number | null;
}

/** One row of a score report. */
export interface ScoreRow extends ScoreFigures {
  indicator: string;
  group: string;
  scale: Scale;
  storeId?: string;
  segmentId?: string;
  /** The same figures for the period of equal length just before. */
  previous: ScoreFigures | null;
  /** Change of `score` against the previous period (points on the 0-100 scale). */
  trend: number | null;
}

/** A score report. */
export interface ScoreReport {
  from: Date;
  to: Date;
  previousFrom: Date;
  rows: ScoreRow[];
}

interface Sums {
  answers: number;
  score: number;
  normalised: number;
  promoters: number;
  detractors: number;
}

function figures(scale: Scale, s: Sums | undefined): ScoreFigures {
  if (!s || s.answers === 0) return { answers: 0, average: null, score: null, nps: null };
  return {
    answers: s.answers,
    average: mean(s.score, s.answers, 2),
    score: mean(s.normalised, s.answers * 10, 1),
    nps: scale === '0-10' ? netPromoterScore(s.promoters, s.detractors, s.answers) : null,
  };
}

/** Input of `surveys.invite`. */
export type InviteInput = z.input<typeof inviteSchema>;
/** Input of `surveys.respond`. */
export type RespondInput = z.input<typeof respondSchema>;
/** Input of `surveys.scores`: a period, how to group, and a store or a questionnaire. */
export type ScoresInput = z.input<typeof scoresSchema>;

const invitationsSchema = z
  .object({
    customerId: idSchema.optional(),
    /** Only the invitations in this state. */
    status: z.enum(['open', 'answered', 'expired']).optional(),
    limit: z.number().int().min(1).max(1000).default(50),
    after: z.string().min(1).max(2000).nullish(),
  })
  .strict();
/** Filters of `surveys.invitations`. */
export type InvitationsInput = z.input<typeof invitationsSchema>;

const satisfactionInputSchema = z
  .object({
    /** At most this many of the latest responses as points (default 50). */
    limit: z.number().int().min(1).max(500).default(50),
  })
  .strict();
/** Options of `surveys.satisfaction`. */
export type SatisfactionInput = z.input<typeof satisfactionInputSchema>;

/** A customer's satisfaction over their responses: the points, and the level and trend of the latest. */
export interface CustomerSatisfaction extends SatisfactionTrend {
  customerId: string;
  /** Responses the customer gave in all. */
  responses: number;
  /** When the latest was given (null: none). */
  latestAt: Date | null;
  /** Responses the level and trend are taken over (the latest so many). */
  window: number;
  /** The latest responses as points, oldest first (at most `limit`). */
  points: SatisfactionPoint[];
}

/** What `surveys.respond` returns: the response, and the case a low score opened. */
export interface SurveyResponseResult {
  response: SurveyResponse;
  /** The case opened for a low score (`null`: none). */
  caseId: string | null;
}

/**
 * `crm.complaints.surveys`: satisfaction questionnaires, invitations after a sale or a closed case,
 * responses whose low scores open cases, and scores with their trend. Inviting needs `surveys.manage`,
 * recording a response `surveys.record`, reading invitations `surveys.read`.
 */
export interface SurveyService {
  /** The configured questionnaires (configuration: no reader needed). */
  questionnaires(): readonly Questionnaire[];
  /** Invites a customer to a questionnaire by hand. */
  invite(input: InviteInput, options: CommandOptions): Promise<SurveyInvitation>;
  /** Records a response; a low score opens a case. */
  respond(input: RespondInput, options: CommandOptions): Promise<SurveyResponseResult>;
  /** Invitations, oldest first, for the host to send and follow up. */
  invitations(options: QueryOptions): Promise<ResultPage<SurveyInvitation>>;
  /** Invitations of a customer or in a state, oldest first. */
  invitations(filters: InvitationsInput | undefined, options: QueryOptions): Promise<ResultPage<SurveyInvitation>>;
  /** Scores per indicator, store or segment for a period, with the trend (totals: no reader needed). */
  scores(input: ScoresInput): Promise<ScoreReport>;
  /** A customer's satisfaction over their responses: points, level and trend. */
  satisfaction(customerId: string, options: QueryOptions): Promise<CustomerSatisfaction>;
  /** A customer's satisfaction over their responses, with at most `limit` points. */
  satisfaction(
    customerId: string,
    input: SatisfactionInput | undefined,
    options: QueryOptions,
  ): Promise<CustomerSatisfaction>;
}

/**
 * A customer's series: their latest `limit` responses as points, oldest first, and how many they gave,
 * read through `session` (a command's transaction sees the response it just wrote).
 */
export async function satisfactionSeries(
  session: StoreSession,
  customerId: string,
  limit: number,
): Promise<{ points: SatisfactionPoint[]; exact: number[]; responses: number }> {
  const page = await session.find(responsesCollection, {
    where: { customerId },
    orderBy: [{ field: 'at', direction: 'desc' }],
    limit,
  });
  // Oldest first; responses given at one instant in the order of their ids.
  const rows = [...page.rows].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : 1));
  const responses = page.next === null ? rows.length : await session.count(responsesCollection, { customerId });
  if (rows.length === 0) return { points: [], exact: [], responses };
  const sums = new Map<string, { n: number; sum: number }>();
  for (const g of await session.aggregate(answersCollection, {
    where: { responseId: { in: rows.map((r) => r.id) } },
    groupBy: ['responseId'],
    measures: { n: { fn: 'count' }, sum: { fn: 'sum', field: 'normalised' } },
  }))
    sums.set(String(g['responseId']), { n: Number(g['n']), sum: Number(g['sum']) });
  const exact: number[] = [];
  const points = rows.map((r): SatisfactionPoint => {
    const s = sums.get(r.id) ?? { n: 0, sum: 0 };
    const score = responseScore(s.sum, s.n);
    exact.push(score);
    return {
      responseId: r.id,
      questionnaireId: r.questionnaireId,
      at: r.at,
      answers: s.n,
      score: mean(s.sum, s.n * 10, 1) ?? 0,
    };
  });
  return { points, exact, responses };
}

/** Builds the survey service and registers the purchase sampler. */
export function createSurveyService(runtime: ComplaintsRuntime) {
  const { kernel, config } = runtime;
  const questionnaires = new Map(config.surveys.questionnaires.map((q) => [q.id, q]));

  function questionnaire(id: string, path: Array<string | number>): Questionnaire {
    const q = questionnaires.get(id);
    if (!q) throw new NotFoundError('questionnaire', id, { path });
    return q;
  }

  async function addInvitation(
    ctx: ComplaintsContext,
    q: Questionnaire,
    fields: { customerId: string | null; storeId: string; trigger: string; refType: string; refId: string },
  ): Promise<InvitationRow> {
    const row = await ctx.tx.insert(invitationsCollection, {
      id: ctx.id('inv'),
      questionnaireId: q.id,
      ...fields,
      status: 'open',
      createdAt: ctx.now,
      expiresAt: new Date(ctx.now.getTime() + q.expiresAfterDays * millisecondsInDay),
      respondedAt: null,
      responseId: null,
    });
    await ctx.emit(
      'survey.invited',
      {
        invitationId: row.id,
        questionnaireId: q.id,
        customerId: row.customerId,
        storeId: row.storeId,
        trigger: row.trigger,
      },
      { customerId: row.customerId },
    );
    return row;
  }

  // Sampling happens in the sale's own transaction: a sale and its invitation commit together.
  const handlers: EventHandlerEntry<ComplaintsEventMap>[] = [];
  const sampled = config.surveys.questionnaires.filter((q) => q.trigger === 'purchase' && q.sampleRate > 0);
  if (sampled.length) {
    handlers.push({
      event: 'purchase.recorded',
      run: async (ctx, sale) => {
        for (const q of sampled) {
          if (q.audience === 'members' && !sale.customerId) continue;
          if (!isSampled(q.seed ?? q.id, sale.purchaseId, q.sampleRate)) continue;
          await addInvitation(ctx, q, {
            customerId: sale.customerId,
            storeId: sale.storeId,
            trigger: 'purchase',
            refType: 'purchase',
            refId: sale.purchaseId,
          });
        }
      },
    });
  }

  const invite = kernel.command({
    name: 'surveys.invite',
    input: inviteSchema,
    permission: 'surveys.manage',
    idempotency: 'optional',
    async run(ctx, input) {
      const q = questionnaire(input.questionnaireId, ['questionnaireId']);
      await calendarOf(ctx.tx, input.storeId);
      const customerId = input.customerId ? await activeCustomerId(ctx.tx, input.customerId, ['customerId']) : null;
      const ref = input.ref ?? { type: 'manual', id: ctx.id('ref') };
      if (
        await ctx.tx.getBy(invitationsCollection, 'survey_invitations_ref', {
          questionnaireId: q.id,
          refType: ref.type,
          refId: ref.id,
        })
      ) {
        throw new InvalidStateError(`${ref.type} ${ref.id} was already invited to ${q.id}`, { path: ['ref'] });
      }
      const row = await addInvitation(ctx, q, {
        customerId,
        storeId: input.storeId,
        trigger: 'manual',
        refType: ref.type,
        refId: ref.id,
      });
      ctx.audit({ type: 'survey-invitation', id: row.id, customerId }, { questionnaireId: q.id });
      return row;
    },
  });

  const respond = kernel.command({
    name: 'surveys.respond',
    input: respondSchema,
    permission: 'surveys.record',
    idempotency: 'optional',
    async run(ctx, input): Promise<SurveyResponseResult> {
      let invitation: InvitationRow | null = null;
      let q: Questionnaire;
      let storeId: string;
      let customerId: string | null;
      if (input.invitationId) {
        const inv = await mustGet(ctx.tx, invitationsCollection, input.invitationId, 'survey invitation', {
          path: ['invitationId'],
        });
        if (inv.status !== 'open')
          throw new InvalidStateError(`invitation ${inv.id} is ${inv.status}`, {
            path: ['invitationId'],
            status: inv.status,
          });
        invitation = inv;
        q = questionnaire(inv.questionnaireId, ['invitationId']);
        storeId = inv.storeId;
        customerId = inv.customerId;
      } else {
        q = questionnaire(input.questionnaireId!, ['questionnaireId']);
        storeId = input.storeId!;
        await calendarOf(ctx.tx, storeId);
        customerId = input.customerId ? await activeCustomerId(ctx.tx, input.customerId, ['customerId']) : null;
      }
      const questions = new Map(q.questions.map((x) => [x.id, x]));
      for (const [id, score] of Object.entries(input.answers)) {
        const question = questions.get(id);
        if (!question) throw invalid(['answers', id], 'unknown_question', `${q.id} has no question ${id}`);
        if (!onScale(question.scale, score)) {
          const { min, max } = scaleRange(question.scale);
          throw invalid(['answers', id], 'out_of_range', `${id} is answered from ${min} to ${max}`);
        }
      }
      if (
        invitation &&
        !(await ctx.tx.consume(
          invitationsCollection,
          invitation.id,
          { status: 'open' },
          { status: 'answered', respondedAt: ctx.now },
        ))
      ) {
        throw new InvalidStateError(`invitation ${invitation.id} was answered meanwhile`, { path: ['invitationId'] });
      }
      const responseId = ctx.id('rsp');
      const thresholds = lowScoresOf(q);
      const low = Object.entries(input.answers)
        .map(([id, score]) => ({ question: questions.get(id)!, score }))
        .filter((a) => isLowScore(thresholds, a.question.scale, a.score));
      let caseId: string | null = null;
      if (low.length) {
        const worst = [...low].sort(
          (a, b) => normalise(a.question.scale, a.score) - normalise(b.question.scale, b.score),
        )[0]!;
        const group = config.surveys.indicators[worst.question.indicator] ?? 'overall';
        const lines = low.map((a) => `${a.question.text}: ${a.score} of ${scaleRange(a.question.scale).max}`);
        const opened = await createCase(runtime, ctx, {
          kind: 'complaint',
          request: null,
          channel: 'survey',
          storeId,
          customerId,
          contact: null,
          purchaseId: invitation?.refType === 'purchase' ? invitation.refId : null,
          items: [],
          category: config.surveys.caseCategory ?? `survey-${group}`,
          severity: config.surveys.caseSeverity,
          description:
            `Low score in survey "${q.name}": ${lines.join('; ')}` +
            `${input.comment ? `. Comment: ${input.comment}` : ''}`,
          attachments: [],
          source: { type: 'survey-response', id: responseId },
        });
        caseId = opened.id;
      }
      const segments = await segmentsOfCustomer(runtime, ctx, customerId);
      const response = await ctx.tx.insert(responsesCollection, {
        id: responseId,
        invitationId: invitation?.id ?? null,
        questionnaireId: q.id,
        customerId,
        storeId,
        at: ctx.now,
        answers: input.answers,
        segments,
        comment: input.comment ?? null,
        lowScore: low.length > 0,
        caseId,
      });
      if (invitation) await ctx.tx.update(invitationsCollection, invitation.id, { responseId });
      for (const [id, score] of Object.entries(input.answers)) {
        const question = questions.get(id)!;
        const klass = promoterClass(question.scale, score);
        await ctx.tx.insert(answersCollection, {
          id: `${responseId}:${id}`,
          responseId,
          questionnaireId: q.id,
          customerId,
          storeId,
          at: ctx.now,
          questionId: id,
          indicator: question.indicator,
          indicatorGroup: config.surveys.indicators[question.indicator] ?? 'overall',
          scale: question.scale,
          score,
          normalised: normalise(question.scale, score),
          promoter: klass === 'promoter' ? 1 : 0,
          detractor: klass === 'detractor' ? 1 : 0,
        });
      }
      ctx.audit(
        { type: 'survey-response', id: responseId, customerId },
        { questionnaireId: q.id, lowScore: low.length > 0, ...(caseId ? { caseId } : {}) },
      );
      // The customer's satisfaction with this answer in it, for modules that keep it (segments' statistics).
      let satisfaction: ComplaintEvents['survey.answered']['satisfaction'] = null;
      if (customerId) {
        const series = await satisfactionSeries(ctx.tx, customerId, SATISFACTION_WINDOW);
        const t = satisfactionTrend(series.exact);
        satisfaction = { level: t.level!, trend: t.trend, responses: series.responses, at: ctx.now.toISOString() };
      }
      await ctx.emit(
        'survey.answered',
        { responseId, questionnaireId: q.id, storeId, lowScore: low.length > 0, caseId, customerId, satisfaction },
        { customerId: customerId },
      );
      return { response, caseId };
    },
  });

  async function invitations(input: InvitationsInput = {}): Promise<ResultPage<SurveyInvitation>> {
    const q = parseInput(invitationsSchema, input);
    const where: Where<typeof invitationsCollection> = {};
    if (q.customerId) where.customerId = q.customerId;
    if (q.status) where.status = q.status;
    const page = await kernel.store.find(invitationsCollection, {
      where,
      orderBy: [{ field: 'createdAt' }],
      limit: q.limit,
      after: q.after ?? null,
    });
    return { items: page.rows, next: page.next };
  }

  async function sumsFor(
    from: Date,
    to: Date,
    q: z.output<typeof scoresSchema>,
  ): Promise<
    Map<string, Sums & { indicator: string; group: string; scale: Scale; storeId?: string; segmentId?: string }>
  > {
    const where: Where<typeof answersCollection> = { at: { gte: from, lt: to } };
    if (q.storeId) where.storeId = q.storeId;
    if (q.questionnaireId) where.questionnaireId = q.questionnaireId;
    const out = new Map<
      string,
      Sums & { indicator: string; group: string; scale: Scale; storeId?: string; segmentId?: string }
    >();
    if (q.by === 'segment') {
      // Segments are kept per response (as they were when answering), so this one is summed here.
      const segmentsOf = new Map<string, string[]>();
      const responseWhere: Where<typeof responsesCollection> = { at: { gte: from, lt: to } };
      if (q.storeId) responseWhere.storeId = q.storeId;
      if (q.questionnaireId) responseWhere.questionnaireId = q.questionnaireId;
      for await (const r of scan(kernel.store, responsesCollection, { where: responseWhere }))
        segmentsOf.set(r.id, r.segments);
      for await (const a of scan(kernel.store, answersCollection, { where })) {
        for (const segmentId of segmentsOf.get(a.responseId) ?? []) {
          const key = JSON.stringify([segmentId, a.indicator, a.scale]);
          const s = out.get(key) ?? {
            indicator: a.indicator,
            group: a.indicatorGroup,
            scale: a.scale as Scale,
            segmentId,
            answers: 0,
            score: 0,
            normalised: 0,
            promoters: 0,
            detractors: 0,
          };
          s.answers++;
          s.score += a.score;
          s.normalised += a.normalised;
          s.promoters += a.promoter;
          s.detractors += a.detractor;
          out.set(key, s);
        }
      }
      return out;
    }
    const groupBy = (
      q.by === 'store' ? ['storeId', 'indicator', 'indicatorGroup', 'scale'] : ['indicator', 'indicatorGroup', 'scale']
    ) as Array<'storeId' | 'indicator' | 'indicatorGroup' | 'scale'>;
    const rows: AggregateRow[] = await kernel.store.aggregate(answersCollection, {
      where,
      groupBy,
      measures: {
        answers: { fn: 'count' },
        score: { fn: 'sum', field: 'score' },
        normalised: { fn: 'sum', field: 'normalised' },
        promoters: { fn: 'sum', field: 'promoter' },
        detractors: { fn: 'sum', field: 'detractor' },
      },
    });
    for (const r of rows) {
      const storeId = q.by === 'store' ? String(r['storeId']) : undefined;
      const key = JSON.stringify([storeId ?? null, r['indicator'], r['scale']]);
      out.set(key, {
        indicator: String(r['indicator']),
        group: String(r['indicatorGroup']),
        scale: String(r['scale']) as Scale,
        ...(storeId !== undefined ? { storeId } : {}),
        answers: Number(r['answers']),
        score: Number(r['score']),
        normalised: Number(r['normalised']),
        promoters: Number(r['promoters']),
        detractors: Number(r['detractors']),
      });
    }
    return out;
  }

  /**
   * Scores per indicator (and store or segment) for a period, each beside the period of equal length
   * just before it, with the trend. Means are on the question's scale and on a common 0-100 scale.
   */
  async function scores(input: ScoresInput): Promise<ScoreReport> {
    const q = parseInput(scoresSchema, input);
    const length = q.to.getTime() - q.from.getTime();
    const previousFrom = new Date(q.from.getTime() - length);
    const current = await sumsFor(q.from, q.to, q);
    const previous = await sumsFor(previousFrom, q.from, q);
    const rows: ScoreRow[] = [];
    for (const [key, s] of current) {
      const now = figures(s.scale, s);
      const before = previous.get(key);
      const prev = before ? figures(s.scale, before) : null;
      rows.push({
        indicator: s.indicator,
        group: s.group,
        scale: s.scale,
        ...(s.storeId !== undefined ? { storeId: s.storeId } : {}),
        ...(s.segmentId !== undefined ? { segmentId: s.segmentId } : {}),
        ...now,
        previous: prev,
        trend:
          prev && prev.score !== null && now.score !== null ? Math.round((now.score - prev.score) * 10) / 10 : null,
      });
    }
    const groupOrder = ['product', 'service', 'purchase', 'recovery', 'overall'];
    rows.sort(
      (a, b) =>
        (a.segmentId ?? '').localeCompare(b.segmentId ?? '') ||
        (a.storeId ?? '').localeCompare(b.storeId ?? '') ||
        groupOrder.indexOf(a.group) - groupOrder.indexOf(b.group) ||
        a.indicator.localeCompare(b.indicator) ||
        a.scale.localeCompare(b.scale),
    );
    return { from: q.from, to: q.to, previousFrom, rows };
  }

  async function satisfaction(customerId: string, input: SatisfactionInput = {}): Promise<CustomerSatisfaction> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const q = parseInput(satisfactionInputSchema, input);
    const series = await satisfactionSeries(kernel.store, id, Math.max(q.limit, SATISFACTION_WINDOW));
    const points = series.points.slice(Math.max(0, series.points.length - q.limit));
    return {
      customerId: id,
      responses: series.responses,
      latestAt: series.points.at(-1)?.at ?? null,
      window: SATISFACTION_WINDOW,
      ...satisfactionTrend(series.exact),
      points,
    };
  }

  const api: SurveyService = {
    questionnaires: () => config.surveys.questionnaires,
    invite,
    respond,
    invitations: kernel.query({
      name: 'complaints.surveys.invitations',
      permission: 'surveys.read',
      reads: (page) => page.items.map((i) => i.customerId),
      run: invitations,
    }),
    scores,
    satisfaction: kernel.query({
      name: 'complaints.surveys.satisfaction',
      permission: 'surveys.read',
      reads: (s) => [s.customerId],
      run: satisfaction,
    }),
  };
  return { api, handlers };
}
