import * as vscode from 'vscode';
import type { Approver } from '../core/approval';

/** The one button of the approval dialog; closing the dialog (Escape, Cancel) is a no. */
export const APPROVE_BUTTON = 'Approve';

/**
 * The extension's Approver (core/approval.ts): a modal warning showing the question (agent, model,
 * cost range, reason, task). Resolves true only when the user picks Approve. Used for jobs from
 * this window's commands and for MCP clients that cannot elicit.
 */
export const approveInModal: Approver = async (question) =>
  (await vscode.window.showWarningMessage(question, { modal: true }, APPROVE_BUTTON)) === APPROVE_BUTTON;
