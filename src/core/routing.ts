import { AGENTS, type Agent } from './agents';
import type { Forecast } from './approval';
import { forecastJson, forecastOneCall } from './forecast';
import { microsToUsd, type Micros } from './money';
import type { PriceBook } from './pricing';
import type { RoutingPolicy, TaskClass } from './routing-policy';
import { utf8ByteLength } from './token-bound';

/**
 * Cost-aware routing for `agent: "auto"` (the original OpenAI worker's Architect: bulk, format
 * and short-copy work goes to the cheap worker when the forecast is under a policy cap and budget
 * remains). Pure and deterministic: the same task, input size, prices and budget give the same tier.
 *
 * 1. classifyTask: the task text's keywords pick a class (rules below, table-tested in
 *    test/unit/core/routing.test.ts); the input size decides when no keyword does.
 * 2. routeTask: each tier the policy allows for the class is forecast (core/forecast.ts
 *    forecastOneCall: the input bytes and output cap at the tier model's price); the cheapest by
 *    worst case whose worst case fits the cap (ROUTING_MAX_COST_USD, or the job's own
 *    caps.max_cost_usd when lower) and the budget left (month, and day when DAILY_BUDGET is set) wins.
 *    None fits → the job is refused before it starts, saying why.
 */

/** What the classifier reads. Bytes are UTF-8; `inputBytes` counts the task and the files' sizes. */
export interface TaskShape {
  task: string;
  inputFiles: number;
  inputBytes: number;
}

/** A class and the rule that chose it, in words (returned with the job). */
export interface Classification {
  class: TaskClass;
  reason: string;
}

/**
 * Keyword rules, matched case-insensitively on word boundaries. The class whose keyword occurs
 * earliest in the task wins (the task's leading verb: "Summarize the review comments" is a
 * summary, "Review the summary" a review); a tie goes to the earlier rule here. The bulk words
 * ("each", "every", "all", …) count only when no other class matched: "Rename x in every file"
 * is a rename.
 */
export const CLASS_RULES: readonly { class: Exclude<TaskClass, 'bulk'>; pattern: RegExp }[] = [
  { class: 'rename', pattern: /\b(renam(e|es|ed|ing))\b/i },
  {
    class: 'format',
    pattern: /\b(re-?format\w*|format(s|ted|ting)?|prettier|indent\w*|whitespace|sort (the )?imports|lint[- ]?fix)\b/i,
  },
  {
    class: 'short-copy',
    pattern:
      /\b(commit messages?|pr (title|description)|titles?|taglines?|headlines?|slogans?|captions?|alt text|tweets?|one[- ]liners?|changelog entr(y|ies)|release notes?|docstrings?)\b/i,
  },
  { class: 'summarize', pattern: /\b(summari[sz](e|es|ed|ing)|summary|tl;?dr|recap|gist|condense)\b/i },
  {
    class: 'refactor',
    pattern:
      /\b(refactor\w*|restructur\w*|extract (a |an |the )?(function|method|class|component|module|helper)|deduplicate|decouple|modulari[sz]e)\b/i,
  },
  {
    class: 'review',
    pattern:
      /\b(review\w*|audit\w*|critiqu\w*|assess\w*|find (the )?(bugs?|issues|problems|vulnerabilit(y|ies))|security)\b/i,
  },
  {
    class: 'plan',
    pattern: /\b(plan|plans|planning|design|architect\w*|roadmap|strategy|propos(e|al)|break (it|this|them) down)\b/i,
  },
];

/** Words that make a task bulk work when no other class matched. */
export const BULK_PATTERN = /\b(bulk|batch|each|every|all|mass|translat\w*|convert\w*)\b/i;

/** Input from which a task with no keyword is bulk work: this many files, or this many bytes. */
export const BULK_MIN_FILES = 5;
export const BULK_MIN_BYTES = 64 * 1024;
/** A task with no keyword, no files and at most this many bytes is short-copy (a line or two of text). */
export const SHORT_COPY_MAX_TASK_BYTES = 280;

/**
 * The class of a task (rules in CLASS_RULES, BULK_PATTERN and the size thresholds above):
 * 1. the earliest class keyword in the task;
 * 2. else a bulk word → bulk;
 * 3. else ≥ BULK_MIN_FILES files or ≥ BULK_MIN_BYTES of input → bulk;
 * 4. else no files and a task of ≤ SHORT_COPY_MAX_TASK_BYTES → short-copy;
 * 5. else refactor (an unnamed change to the given files, or a long instruction: a stronger tier).
 */
export function classifyTask(shape: TaskShape): Classification {
  let best: { class: TaskClass; at: number; word: string } | null = null;
  for (const rule of CLASS_RULES) {
    const m = rule.pattern.exec(shape.task);
    if (m && (best === null || m.index < best.at)) best = { class: rule.class, at: m.index, word: m[0] };
  }
  if (best) return { class: best.class, reason: `the task says "${best.word.toLowerCase()}"` };
  const bulk = BULK_PATTERN.exec(shape.task);
  if (bulk) return { class: 'bulk', reason: `the task says "${bulk[0].toLowerCase()}"` };
  if (shape.inputFiles >= BULK_MIN_FILES || shape.inputBytes >= BULK_MIN_BYTES) {
    return {
      class: 'bulk',
      reason: `no class keyword, and ${shape.inputFiles} file(s), ${Math.round(shape.inputBytes / 1024)} KiB of input (bulk from ${BULK_MIN_FILES} files or ${BULK_MIN_BYTES / 1024} KiB)`,
    };
  }
  if (shape.inputFiles === 0 && utf8ByteLength(shape.task) <= SHORT_COPY_MAX_TASK_BYTES) {
    return {
      class: 'short-copy',
      reason: `no class keyword; a short task (≤ ${SHORT_COPY_MAX_TASK_BYTES} bytes) with no files`,
    };
  }
  return { class: 'refactor', reason: 'no class keyword; a change to the given files, or a long instruction' };
}

/** One tier weighed for a job: its model and forecast (null when the model has no price). */
export interface TierForecast {
  agent: Agent;
  model: string;
  forecast: Forecast | null;
}

/** What routing decided. `agent`/`model` null: refused (no allowed tier fits); `reason` says why either way. */
export interface RoutingDecision {
  class: TaskClass;
  agent: Agent | null;
  model: string | null;
  reason: string;
  /** The allowed tiers, in AGENTS order, with their forecasts. */
  tiers: TierForecast[];
  capMicros: Micros;
}

/** Everything routeTask needs. Money in µUSD; `maxOutputTokens` already clamped by PER_JOB_TOKEN_LIMIT. */
export interface RouteInput extends TaskShape {
  maxOutputTokens: number;
  agents: Readonly<Record<Agent, string>>;
  policy: RoutingPolicy;
  prices: PriceBook;
  /** ROUTING_MAX_COST_USD, or the job's caps.max_cost_usd when that is lower. */
  capMicros: Micros;
  /** The monthly budget left (cap − settled − reserved). */
  remainingMicros: Micros;
  /** The daily budget left, or null without DAILY_BUDGET. */
  dailyRemainingMicros: Micros | null;
}

const usd = (micros: Micros) => `$${Number(microsToUsd(Math.max(0, micros)).toFixed(6))}`;

/**
 * Classifies the task and picks the cheapest allowed tier whose worst case fits the cap and the
 * budget left (ties: the earlier tier in AGENTS). Never throws: an unpriced tier is skipped and
 * named in the reason.
 */
export function routeTask(input: RouteInput): RoutingDecision {
  const { class: cls, reason: why } = classifyTask(input);
  const allowed = AGENTS.filter((a) => input.policy[cls].includes(a));
  const tiers: TierForecast[] = allowed.map((agent) => {
    const model = input.agents[agent];
    return {
      agent,
      model,
      forecast: input.prices.has(model)
        ? forecastOneCall(input.prices, model, input.inputBytes, input.maxOutputTokens)
        : null,
    };
  });
  const limit = Math.min(input.capMicros, input.remainingMicros, input.dailyRemainingMicros ?? Infinity);
  const fitting = tiers.filter((t) => t.forecast !== null && t.forecast.highMicros <= limit);
  const pick = fitting.reduce<TierForecast | null>(
    (a, t) => (a === null || t.forecast!.highMicros < a.forecast!.highMicros ? t : a),
    null,
  );
  const head = `${cls} (${why}); allowed: ${allowed.join(', ')}`;
  const base = { class: cls, tiers, capMicros: input.capMicros };
  if (pick)
    return {
      ...base,
      agent: pick.agent,
      model: pick.model,
      reason: `${head}; ${pick.agent} is the cheapest within the ${usd(input.capMicros)} cap and the budget left`,
    };
  const unpriced = tiers.filter((t) => t.forecast === null).map((t) => `${t.agent} (${t.model}) has no price`);
  const limiter =
    input.capMicros <= Math.min(input.remainingMicros, input.dailyRemainingMicros ?? Infinity)
      ? `the routing cap of ${usd(input.capMicros)} (raise ROUTING_MAX_COST_USD / offload.routingMaxCostUsd, or caps.max_cost_usd, or send less input)`
      : input.dailyRemainingMicros !== null && input.dailyRemainingMicros < input.remainingMicros
        ? `the ${usd(input.dailyRemainingMicros)} left in today's budget (raise DAILY_BUDGET or wait for 00:00 UTC)`
        : `the ${usd(input.remainingMicros)} left in this month's budget (raise MONTHLY_BUDGET or wait for the month to reset)`;
  const priced = tiers.filter((t) => t.forecast !== null).map((t) => `${t.agent} ${usd(t.forecast!.highMicros)}`);
  return {
    ...base,
    agent: null,
    model: null,
    reason: `refused before it started: ${head}; no allowed tier's worst case fits ${limiter}${priced.length ? ` — ${priced.join(', ')}` : ''}${unpriced.length ? `; ${unpriced.join('; ')}` : ''}; or name an agent, or allow another tier for ${cls} in ROUTING_POLICY`,
  };
}

/** The compact `routing` object a job's result carries: class, chosen tier (null: refused), reason, cap and each allowed tier's model and forecast, USD. */
export function routingJson(d: RoutingDecision): {
  class: TaskClass;
  agent: Agent | null;
  reason: string;
  cap_usd: number;
  forecasts: { agent: Agent; model: string; low_usd: number | null; high_usd: number | null }[];
} {
  return {
    class: d.class,
    agent: d.agent,
    reason: d.reason,
    cap_usd: Number(microsToUsd(d.capMicros).toFixed(6)),
    forecasts: d.tiers.map((t) => ({
      agent: t.agent,
      model: t.model,
      ...(t.forecast ? forecastJson(t.forecast) : { low_usd: null, high_usd: null }),
    })),
  };
}
