import { parseToWebview } from '../src/shared/protocol';

/** Panel script, scaffold only (issue 13 builds the panel): it shows the month's spend. */
window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const msg = parseToWebview(event.data, (why) => console.warn(why));
  const root = document.getElementById('root');
  if (root && msg?.type === 'spend') root.textContent = `$${msg.spend.current_month.toFixed(2)} of $${msg.spend.total_budget.toFixed(2)}`;
});
