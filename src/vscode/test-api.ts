import * as vscode from 'vscode';
import type { App, McpHttpRequestRecord } from '../app';
import type { AppHost } from './app-host';
import type { BudgetWarnings, ShownNotice } from './budget-warnings';
import type { ApiKeyStore } from './secrets';
import type { OffloadStatusBar } from './status-bar';
import type { JobsTree } from './sidebar/jobs-tree';
import { JobsPanel } from './panel/controller';

/** A status-bar item's command as a click runs it: the command id and its arguments. */
export interface ItemCommand {
  command: string;
  arguments: unknown[];
}

/**
 * What the extension returns from `activate` in `ExtensionMode.Test` only (undefined otherwise,
 * so no other extension can read the bearer token): handles for the extension-host tests.
 */
export interface OffloadTestApi {
  /** Evaluating dist/extension.js plus the synchronous activate(), ms (BENCHMARKS.md "Extension"). */
  activationMs: number;
  /** Synchronous part of activate() alone, ms. */
  activateMs: number;
  app(): Promise<App>;
  mcpServer(): Promise<{ url: string; token: string }>;
  /** The MCP HTTP requests the server saw, oldest first. */
  mcpRequests(): readonly McpHttpRequestRecord[];
  /**
   * The status-bar items as drawn: texts, the budget tooltip, and each item's own command (id and
   * arguments, as a click would run it).
   */
  statusBar(): {
    breaker: string;
    budget: string;
    budgetTooltip: string;
    budgetCommand?: ItemCommand;
    breakerCommand?: ItemCommand;
  };
  /** Redraws the status bar and waits for the budget-warning check its spend read started. */
  refreshStatusBar(): Promise<void>;
  secret(slot: string): Promise<{ value?: string; source: string }>;
  /** Budget warnings this window showed, oldest first. */
  budgetWarnings(): readonly ShownNotice[];
  /** Forgets which budget warnings were announced (globalState), so the next crossing shows again. */
  forgetBudgetWarnings(): Promise<void>;
  /**
   * Replaces the approver (the notification and panel approvals, host.approvals) with `approver`
   * (undefined restores it), so a test can answer without clicking; the question is what the
   * notification would show.
   */
  setApprover(approver: ((question: string) => Promise<boolean>) | undefined): void;
  /**
   * Hands `uri` to Offload's registered UriHandler, as VS Code does for a `<uriScheme>://offload.offload/…` link
   * (code-server's browser build routes external links through the browser, so a test cannot click one).
   */
  handleUri(uri: string): void;
  /** The sidebar's job rows (label, description, contextValue) as the tree provider gives them. */
  sidebarJobs(): Promise<{ id: string; label: string; description: string; contextValue: string }[]>;
  /** True when the jobs panel exists. */
  panelOpen(): boolean;
}

/** Builds the test API over the live objects. */
export function createTestApi(parts: {
  tree: JobsTree;
  links: vscode.UriHandler;
  host: AppHost;
  keys: ApiKeyStore;
  statusBar: OffloadStatusBar;
  warnings: BudgetWarnings;
  activationMs: number;
  activateMs: number;
}): OffloadTestApi {
  const tooltip = (t: string | vscode.MarkdownString | undefined) => (typeof t === 'string' ? t : (t?.value ?? ''));
  const command = (c: string | vscode.Command | undefined): ItemCommand | undefined =>
    c === undefined
      ? undefined
      : typeof c === 'string'
        ? { command: c, arguments: [] }
        : { command: c.command, arguments: c.arguments ?? [] };
  return {
    activationMs: parts.activationMs,
    activateMs: parts.activateMs,
    app: () => parts.host.getApp(),
    mcpServer: async () => {
      const s = await parts.host.mcpServer();
      return { url: s.url, token: s.token };
    },
    mcpRequests: () => parts.host.requests,
    handleUri: (uri) => parts.links.handleUri(vscode.Uri.parse(uri)),
    statusBar: () => ({
      breaker: parts.statusBar.breaker.text,
      budget: parts.statusBar.budget.text,
      budgetTooltip: tooltip(parts.statusBar.budget.tooltip),
      budgetCommand: command(parts.statusBar.budget.command),
      breakerCommand: command(parts.statusBar.breaker.command),
    }),
    refreshStatusBar: async () => {
      await parts.statusBar.refresh();
      await parts.warnings.idle();
    },
    secret: (slot) => parts.keys.get(slot),
    budgetWarnings: () => parts.warnings.shown,
    forgetBudgetWarnings: () => parts.warnings.forget(),
    setApprover: (approver) => parts.host.setApprover(approver),
    sidebarJobs: async () => {
      const rows = [];
      for (const group of await parts.tree.getChildren()) {
        for (const node of await parts.tree.getChildren(group)) {
          const item = parts.tree.getTreeItem(node);
          rows.push({
            id: String(item.id),
            label: String(item.label),
            description: String(item.description),
            contextValue: String(item.contextValue),
          });
        }
      }
      return rows;
    },
    panelOpen: () => JobsPanel.instance !== undefined,
  };
}
