/**
 * Imported first by main.ts, before any schema is built: zod 4 compiles object parsers with
 * `new Function` (and probes for it), which the panel's CSP (no 'unsafe-eval') refuses and reports
 * as a `securitypolicyviolation`. `jitless` makes zod parse without generated code and skip the probe.
 */
import { config } from 'zod';

config({ jitless: true });
