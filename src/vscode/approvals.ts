import { randomUUID } from 'node:crypto';
import type * as vscode from 'vscode';
import type { Approver } from '../core/approval';
import type { Approval } from '../shared/protocol';

/** The notification's buttons. Approve and Decline answer; Open Jobs Panel leaves the question pending for the panel. */
export const APPROVAL_BUTTONS = { approve: 'Approve', decline: 'Decline', openPanel: 'Open Jobs Panel' } as const;

/** The command Open Jobs Panel runs, and its argument (the panel's queue, where pending approvals show). */
export const OPEN_PANEL_COMMAND = 'offload.openPanel';
export const OPEN_PANEL_ARG = { view: 'queue' } as const;

/** What PendingApprovals needs from VS Code (app-host.ts passes the real window and commands; unit tests pass fakes). */
export interface ApprovalUi {
  /** A non-modal warning notification with `buttons`; resolves to the button picked, or undefined when it is closed. */
  notify(question: string, buttons: readonly string[]): Thenable<string | undefined>;
  /** Runs a command (Open Jobs Panel). May reject, e.g. before the command is registered. */
  executeCommand(command: string, arg: unknown): Thenable<unknown>;
  log(line: string): void;
}

/**
 * The questions waiting for a human yes (premium-worker jobs, jobs over APPROVAL_THRESHOLD_USD),
 * answerable from a non-modal notification or from the jobs panel (`answer`), whichever comes
 * first. `ask` is the extension's Approver (core/approval.ts). An answer removes the entry; a
 * notification closed without a button is a no (as Escape was in the old modal); Open Jobs Panel
 * opens the panel and keeps the question pending there. A notification still showing after the
 * panel answered is ignored when clicked. dispose() answers every pending question no.
 */
export class PendingApprovals implements vscode.Disposable {
  private readonly pending = new Map<string, { question: string; resolve: (yes: boolean) => void }>();
  private readonly listeners = new Set<(approvals: Approval[]) => void>();
  private disposed = false;

  constructor(private readonly ui: ApprovalUi) {}

  /** Fires with the new list whenever a question is added or answered. */
  readonly onDidChange: vscode.Event<Approval[]> = (listener, thisArg, disposables) => {
    const bound = (a: Approval[]) => listener.call(thisArg, a);
    this.listeners.add(bound);
    const d = {
      dispose: () => {
        this.listeners.delete(bound);
      },
    };
    if (Array.isArray(disposables)) disposables.push(d);
    return d;
  };

  /** The Approver: adds the question, shows the notification, resolves true only on an Approve (notification or panel). */
  readonly ask: Approver = (question) => {
    if (this.disposed) return Promise.resolve(false);
    const id = randomUUID();
    const answered = new Promise<boolean>((resolve) => this.pending.set(id, { question, resolve }));
    this.changed();
    void this.ui
      .notify(question, [APPROVAL_BUTTONS.approve, APPROVAL_BUTTONS.decline, APPROVAL_BUTTONS.openPanel])
      .then(
        (pick) => {
          if (pick === APPROVAL_BUTTONS.openPanel) {
            void Promise.resolve(this.ui.executeCommand(OPEN_PANEL_COMMAND, OPEN_PANEL_ARG)).catch((err: unknown) =>
              this.ui.log(
                `cannot open the jobs panel for an approval: ${err instanceof Error ? err.message : String(err)}`,
              ),
            );
            return;
          }
          this.answer(id, pick === APPROVAL_BUTTONS.approve);
        },
        (err: unknown) => {
          this.ui.log(
            `the approval notification failed (answer in the jobs panel): ${err instanceof Error ? err.message : String(err)}`,
          );
        },
      );
    return answered;
  };

  /** Answers the question `id` (the panel's Approve / Decline). Returns false when it is unknown or already answered. */
  answer(id: string, approved: boolean): boolean {
    const entry = this.pending.get(id);
    if (!entry) return false;
    this.pending.delete(id);
    entry.resolve(approved);
    this.changed();
    return true;
  }

  /** The questions waiting for an answer, oldest first. */
  list(): Approval[] {
    return [...this.pending].map(([id, { question }]) => ({ id, question }));
  }

  /** Answers every pending question no and ignores later asks (they resolve false at once). */
  dispose(): void {
    this.disposed = true;
    for (const id of [...this.pending.keys()]) this.answer(id, false);
    this.listeners.clear();
  }

  private changed(): void {
    const list = this.list();
    for (const l of [...this.listeners]) {
      try {
        l(list);
      } catch (err) {
        this.ui.log(`an approvals listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
