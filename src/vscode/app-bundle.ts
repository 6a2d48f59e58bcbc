/**
 * Everything the glue needs from the app and core beyond types, loaded after activation through
 * `loadAppModule()`. esbuild.mjs builds this file into its own bundle, dist/app.js, so loading
 * dist/extension.js evaluates only the glue (fast activation) and the app with its SDKs, price
 * table, zod schemas and sql.js is read on first use.
 */
export { createApp, serveMcpHttp, TOOLS_VERSION } from '../app';
export { defaultLedgerPath, parseConfig } from '../core/config';
export { capsOf } from '../core/budget';
export { StartSchema } from '../core/requests';
export { runGit, gitEnvOf } from '../app';
export { forecastOf } from '../core/forecast';
