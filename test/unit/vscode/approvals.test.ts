import { strict as assert } from 'node:assert';
import type { Approval } from '../../../src/shared/protocol';
import {
  APPROVAL_BUTTONS,
  OPEN_PANEL_ARG,
  OPEN_PANEL_COMMAND,
  PendingApprovals,
  type ApprovalUi,
} from '../../../src/vscode/approvals';

/** A stand-in for VS Code's window and commands: each notification waits until the test picks a button. */
function fakeUi(opts: { commandFails?: boolean } = {}) {
  const shown: { question: string; buttons: readonly string[]; pick: (b: string | undefined) => void }[] = [];
  const commands: [string, unknown][] = [];
  const logs: string[] = [];
  const ui: ApprovalUi = {
    notify: (question, buttons) => new Promise((resolve) => shown.push({ question, buttons, pick: resolve })),
    executeCommand: async (command, arg) => {
      commands.push([command, arg]);
      if (opts.commandFails) throw new Error(`command '${command}' not found`);
    },
    log: (l) => logs.push(l),
  };
  return { ui, shown, commands, logs };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('PendingApprovals (notification or panel, whichever answers first)', () => {
  it('lists a question, shows a non-modal notification with three buttons, and resolves on Approve', async () => {
    const { ui, shown } = fakeUi();
    const approvals = new PendingApprovals(ui);
    const changes: Approval[][] = [];
    approvals.onDidChange((a) => changes.push(a));
    const answer = approvals.ask('Run a premium-worker job on o1-mini? Estimated cost $0.01–$0.20');
    assert.equal(approvals.list().length, 1);
    assert.equal(approvals.list()[0]!.question, 'Run a premium-worker job on o1-mini? Estimated cost $0.01–$0.20');
    assert.deepEqual(shown[0]!.buttons, ['Approve', 'Decline', 'Open Jobs Panel']);
    shown[0]!.pick(APPROVAL_BUTTONS.approve);
    assert.equal(await answer, true);
    assert.deepEqual(approvals.list(), []);
    assert.deepEqual(
      changes.map((c) => c.length),
      [1, 0],
    );
  });

  it('resolves false on Decline and when the notification is closed', async () => {
    const { ui, shown } = fakeUi();
    const approvals = new PendingApprovals(ui);
    const declined = approvals.ask('q1');
    const closed = approvals.ask('q2');
    shown[0]!.pick(APPROVAL_BUTTONS.decline);
    shown[1]!.pick(undefined);
    assert.deepEqual(await Promise.all([declined, closed]), [false, false]);
    assert.deepEqual(approvals.list(), []);
  });

  it('is answered from the panel by id; a later click on the notification changes nothing', async () => {
    const { ui, shown } = fakeUi();
    const approvals = new PendingApprovals(ui);
    const first = approvals.ask('first');
    const second = approvals.ask('second');
    const [a, b] = approvals.list();
    assert.deepEqual([a!.question, b!.question], ['first', 'second']);
    assert.notEqual(a!.id, b!.id);
    assert.equal(approvals.answer(b!.id, true), true);
    assert.equal(await second, true);
    assert.equal(approvals.answer(b!.id, false), false, 'already answered');
    assert.equal(approvals.answer('unknown', true), false);
    shown[1]!.pick(APPROVAL_BUTTONS.decline); // the stale notification
    await tick();
    assert.deepEqual(
      approvals.list().map((x) => x.question),
      ['first'],
    );
    approvals.answer(a!.id, false);
    assert.equal(await first, false);
  });

  it('Open Jobs Panel runs offload.openPanel {view: queue} and keeps the question pending; a failing command is logged', async () => {
    for (const commandFails of [false, true]) {
      const { ui, shown, commands, logs } = fakeUi({ commandFails });
      const approvals = new PendingApprovals(ui);
      let settled = false;
      const answer = approvals.ask('q').then((v) => {
        settled = true;
        return v;
      });
      shown[0]!.pick(APPROVAL_BUTTONS.openPanel);
      await tick();
      await tick();
      assert.deepEqual(commands, [[OPEN_PANEL_COMMAND, OPEN_PANEL_ARG]]);
      assert.deepEqual(OPEN_PANEL_ARG, { view: 'queue' });
      assert.equal(settled, false);
      assert.equal(approvals.list().length, 1);
      assert.equal(
        logs.some((l) => /cannot open the jobs panel.*not found/.test(l)),
        commandFails,
      );
      approvals.answer(approvals.list()[0]!.id, true);
      assert.equal(await answer, true);
    }
  });

  it('answers every pending question no on dispose, and later asks at once', async () => {
    const { ui } = fakeUi();
    const approvals = new PendingApprovals(ui);
    const pending = approvals.ask('q');
    approvals.dispose();
    assert.equal(await pending, false);
    assert.equal(await approvals.ask('after'), false);
    assert.deepEqual(approvals.list(), []);
  });

  it('keeps working when a listener throws, and stops calling a disposed listener', async () => {
    const { ui, shown, logs } = fakeUi();
    const approvals = new PendingApprovals(ui);
    const seen: number[] = [];
    approvals.onDidChange(() => {
      throw new Error('boom');
    });
    const sub = approvals.onDidChange((a) => seen.push(a.length));
    const answer = approvals.ask('q');
    sub.dispose();
    shown[0]!.pick(APPROVAL_BUTTONS.approve);
    assert.equal(await answer, true);
    assert.deepEqual(seen, [1]);
    assert.ok(logs.some((l) => /listener failed: boom/.test(l)));
  });
});
