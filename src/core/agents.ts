/** The three agent tiers of the original OpenAI worker, and their default models. */
export const AGENTS = ['mini-worker', 'balanced-worker', 'premium-worker'] as const;

/** An agent tier name. */
export type Agent = (typeof AGENTS)[number];

/** The default gateway model of each tier: the original OpenAI worker's choices. */
export const DEFAULT_AGENT_MODELS: Readonly<Record<Agent, string>> = {
  'mini-worker': 'gpt-4o-mini',
  'balanced-worker': 'gpt-4o',
  'premium-worker': 'o1-mini',
};
