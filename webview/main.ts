import { ToWebviewSchema } from '../src/shared/protocol';

/**
 * Panel script, scaffold only: no jobs panel hosts it yet (the status bar opens a quick pick of
 * jobs instead). It renders the spend message of src/shared/protocol.ts.
 */
window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = ToWebviewSchema.safeParse(event.data);
  if (!parsed.success) return;
  const root = document.getElementById('root');
  if (root && parsed.data.type === 'spend') root.textContent = `$${parsed.data.currentMonthUsd.toFixed(2)} of $${parsed.data.budgetUsd.toFixed(2)}`;
});
