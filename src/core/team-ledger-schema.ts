/** The schemas of the team ledger's settings (config.ts): the URL, and member and machine names. */
import { z } from 'zod';
import { parseLedgerUrl, POSTGRES_SCHEMES } from './ledger-url';

/** What a bad team ledger URL is told (the value itself is never quoted: it may hold a password). */
const URL_FIX =
  'must be a PostgreSQL connection URL such as postgres://offload@db.example.com:5432/offload ' +
  '(the password from OFFLOAD_LEDGER_PASSWORD_COMMAND, or in VS Code "Offload: Set Team Ledger Password"); ' +
  'for the local ledger give a file path instead';

/** A team ledger URL: `postgres://` or `postgresql://`, parseable; the error never repeats the value. */
export const LedgerUrlSchema = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = parseLedgerUrl(value).url;
  } catch {
    ctx.addIssue({ code: 'custom', message: `is not a valid URL; it ${URL_FIX}` });
    return;
  }
  if (!POSTGRES_SCHEMES.has(url.protocol))
    ctx.addIssue({ code: 'custom', message: `has the scheme ${url.protocol.slice(0, 20)}; it ${URL_FIX}` });
});

/** Longest member or machine name, characters. */
const MAX_IDENTITY_NAME = 128;

/** OFFLOAD_MEMBER / OFFLOAD_MACHINE: non-empty, at most 128 characters, no control characters. */
export const IdentityNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_IDENTITY_NAME, `must be at most ${MAX_IDENTITY_NAME} characters`)
  .refine((v) => !/[\u0000-\u001f\u007f-\u009f]/.test(v), 'must not contain control characters (newlines, tabs, …)');
