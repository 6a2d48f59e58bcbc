import os from 'node:os';
import type { Identity } from './ledger';

/** The default identity: member `<OS user>@<host>`, machine `<host>`; `member`/`machine` override (OFFLOAD_MEMBER, OFFLOAD_MACHINE). */
export function identityOf(member?: string | null, machine?: string | null): Identity {
  const host = os.hostname();
  return { member: member || `${os.userInfo().username}@${host}`, machine: machine || host };
}
