import { ToWebviewSchema } from '../src/shared/protocol';

/** Panel script: renders what the extension sends (the panel itself arrives with issue #3). */
window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = ToWebviewSchema.safeParse(event.data);
  if (!parsed.success) return;
  const root = document.getElementById('root');
  if (root && parsed.data.type === 'spend') root.textContent = `$${parsed.data.currentMonthUsd.toFixed(2)} of $${parsed.data.budgetUsd.toFixed(2)}`;
});
