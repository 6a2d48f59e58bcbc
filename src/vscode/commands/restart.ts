import * as vscode from 'vscode';
import type { AppHost } from '../app-host';

/**
 * Rebuilds the app so a key or setting change takes effect. Restarting cancels running jobs, so
 * when some run the user is asked first (declining keeps the old app until the next restart).
 * Returns whether it restarted.
 */
export async function restartApp(host: AppHost, reason: string): Promise<boolean> {
  const active = await host.activeJobs();
  if (active.length) {
    const pick = await vscode.window.showWarningMessage(
      `Offload: ${reason}. Applying it restarts Offload and cancels ${active.length} running job(s).`,
      'Restart Now',
      'Later',
    );
    if (pick !== 'Restart Now') return false;
  }
  await host.restart();
  return true;
}
