import { z } from 'zod';

/** Webview ⇄ extension messages (one discriminated union, parsed on both sides). */
export const ToWebviewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('spend'), currentMonthUsd: z.number(), budgetUsd: z.number() }),
]);
export type ToWebview = z.infer<typeof ToWebviewSchema>;
