import { execFileSync } from 'node:child_process';
import { PriceBook } from '../core/pricing';
import { configSecrets, redact } from '../core/redact';
import { findClaude } from '../jobs/claude-path';
import { ledgerLabel } from '../core/ledger-url';
import { openLedgerFromConfig } from '../ledger/open-ledger-from-config';
import { capsOf } from '../core/budget';
import { cliConfig, hasFlag } from './args';
import { usd } from '../shared/usd';

interface Finding {
  ok: boolean;
  what: string;
  detail: string;
}

function version(cmd: string, args: string[]): string {
  return (
    execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 })
      .trim()
      .split('\n')[0] ?? ''
  );
}

/**
 * `offload-worker doctor [--network]`: checks the configuration, the ledger file, prices for the
 * configured models, git and the Claude Code CLI; with --network, that the gateway answers
 * GET /models with the configured key. Exit 0 when everything is OK. Secrets are never printed.
 */
export async function runDoctorCommand(args: string[]): Promise<number> {
  const findings: Finding[] = [];
  const config = cliConfig();
  findings.push({
    ok: true,
    what: 'configuration',
    detail: `budget $${config.monthlyBudgetUsd}/month${config.dailyBudgetUsd !== undefined ? `, $${config.dailyBudgetUsd}/day` : ''}, ${config.perJobTokenLimit} tokens/job, concurrency ${config.maxConcurrency}, sandbox ${config.sandboxRoots.join(', ')}`,
  });
  findings.push({
    ok: Boolean(config.openaiApiKey),
    what: 'API key',
    detail: config.openaiApiKey
      ? 'set (OPENAI_API_KEY or ONEAPI_API_KEY)'
      : 'not set: paid work will fail; set OPENAI_API_KEY or ONEAPI_API_KEY',
  });
  try {
    const ledger = await openLedgerFromConfig(config, { caps: capsOf(config) });
    const stats = await ledger.spendStats();
    await ledger.close();
    findings.push({
      ok: true,
      what: 'ledger',
      detail: `${ledgerLabel(config)}: ${usd(stats.current_month)} spent in ${stats.month}, ${stats.jobs.total} jobs`,
    });
  } catch (err) {
    findings.push({ ok: false, what: 'ledger', detail: `${ledgerLabel(config)}: ${(err as Error).message}` });
  }
  const prices = new PriceBook(config.priceOverrides);
  for (const model of new Set([...Object.values(config.agents), config.claudeModel])) {
    findings.push({
      ok: prices.has(model),
      what: `price of ${model}`,
      detail: prices.has(model) ? 'known' : 'unknown: add it to OFFLOAD_PRICES',
    });
  }
  for (const [what, cmd, cmdArgs] of [
    ['git', 'git', ['--version']],
    ['Claude Code', findClaude(config.claudePath), ['--version']],
  ] as const) {
    try {
      findings.push({ ok: true, what, detail: `${version(cmd, [...cmdArgs])} (${cmd})` });
    } catch (err) {
      findings.push({ ok: false, what, detail: `${cmd}: ${(err as Error).message.split('\n')[0]}` });
    }
  }
  if (hasFlag(args, 'network')) {
    try {
      const res = await fetch(`${config.openaiBaseUrl.replace(/\/$/, '')}/models`, {
        headers: { authorization: `Bearer ${config.openaiApiKey ?? ''}` },
        signal: AbortSignal.timeout(10_000),
      });
      findings.push({
        ok: res.ok,
        what: 'gateway',
        detail: `${config.openaiBaseUrl} answered GET /models with ${res.status}`,
      });
    } catch (err) {
      findings.push({ ok: false, what: 'gateway', detail: `${config.openaiBaseUrl}: ${(err as Error).message}` });
    }
  }
  for (const f of findings)
    process.stdout.write(`${f.ok ? 'ok  ' : 'FAIL'} ${f.what}: ${redact(f.detail, configSecrets(config))}\n`);
  return findings.every((f) => f.ok) ? 0 : 1;
}
