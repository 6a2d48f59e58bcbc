import { z } from 'zod';
import { AGENTS, type Agent } from './agents';

/**
 * The task classes of `agent: "auto"` routing (core/routing.ts classifies a task into one). The
 * first four are the original OpenAI worker's "do work, not think" jobs; the last three need a
 * stronger model.
 */
export const TASK_CLASSES = [
  'bulk',
  'format',
  'rename',
  'short-copy',
  'summarize',
  'refactor',
  'review',
  'plan',
] as const;

/** One task class. */
export type TaskClass = (typeof TASK_CLASSES)[number];

/** Which tiers each task class may run on. Routing picks the cheapest of them whose forecast fits. */
export type RoutingPolicy = Record<TaskClass, readonly Agent[]>;

/**
 * The default policy. Bulk, format, rename and short-copy go to the cheap worker only (the
 * original worker's Architect rule); summaries may use balanced-worker when a cheaper tier does not
 * fit; refactors and reviews need balanced-worker; plans go to premium-worker. Note that with the
 * default models premium-worker (o1-mini, $1.1/$4.4 per Mtok) is cheaper than balanced-worker
 * (gpt-4o, $2.5/$10), so a class allowing both picks premium-worker, which needs approval:
 * review therefore allows balanced-worker only.
 */
export const DEFAULT_ROUTING_POLICY: RoutingPolicy = {
  bulk: ['mini-worker'],
  format: ['mini-worker'],
  rename: ['mini-worker'],
  'short-copy': ['mini-worker'],
  summarize: ['mini-worker', 'balanced-worker'],
  refactor: ['balanced-worker'],
  review: ['balanced-worker'],
  plan: ['premium-worker'],
};

const TIERS_HINT = `use tier names (${AGENTS.join(', ')})`;

const tiers = (cls: TaskClass) =>
  z
    .array(z.enum(AGENTS, { error: (iss) => `${JSON.stringify(iss.input)} is not a tier; ${TIERS_HINT}` }), {
      error: `must be a list of tiers, e.g. ["mini-worker"]`,
    })
    .min(1, `must allow at least one tier, e.g. ["mini-worker"]`)
    .default([...DEFAULT_ROUTING_POLICY[cls]]);

/**
 * ROUTING_POLICY (JSON) / `offload.routingPolicy`: task class → allowed tiers. A class left out keeps
 * its default (DEFAULT_ROUTING_POLICY), so `{"review":["balanced-worker","premium-worker"]}` changes
 * one class. Errors name the class and the fix: an unknown class lists the known ones, an unknown
 * tier the tier names, an empty list asks for at least one tier.
 */
export const RoutingPolicySchema = z
  .strictObject(
    Object.fromEntries(TASK_CLASSES.map((c) => [c, tiers(c)])) as { [C in TaskClass]: ReturnType<typeof tiers> },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `unknown task class ${iss.keys.map((k) => JSON.stringify(k)).join(', ')}; the classes are ${TASK_CLASSES.join(', ')}`
          : `must be an object of task class → tiers, e.g. {"format":["mini-worker"]}`,
    },
  )
  .prefault({});
