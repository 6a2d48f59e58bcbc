import * as vscode from 'vscode';

/** One API key Offload keeps in SecretStorage, and the environment variables used when it is not set there. */
export interface ApiKeySlot {
  /** SecretStorage key. */
  id: string;
  label: string;
  /** Environment fallbacks, first set wins (ONEAPI_API_KEY before OPENAI_API_KEY, as in the CLI). */
  env: string[];
  /** Offload works without it (Doctor does not report it missing as a failure). */
  optional?: boolean;
}

/** The SecretStorage key of the team ledger's password. */
export const LEDGER_PASSWORD_SLOT = 'offload.ledgerPassword';

/** The keys the app uses (DESIGN.md: keys live in SecretStorage or the environment, never in settings). */
export const API_KEY_SLOTS: readonly ApiKeySlot[] = [
  {
    id: 'offload.openaiApiKey',
    label: 'Gateway API key (OPENAI_API_KEY / ONEAPI_API_KEY)',
    env: ['ONEAPI_API_KEY', 'OPENAI_API_KEY'],
  },
  {
    id: 'offload.fallbackApiKey',
    label: 'Fallback gateway API key (FALLBACK_API_KEY)',
    env: ['FALLBACK_API_KEY'],
    optional: true,
  },
  // Sent only to offload.breakerCostsUrl (GET /v1/organization/costs); turns on the breaker's provider-cost rule.
  {
    id: 'offload.openaiAdminKey',
    label: "OpenAI admin key for the breaker's provider-cost check (OPENAI_ADMIN_KEY)",
    env: ['OPENAI_ADMIN_KEY'],
    optional: true,
  },
  // The team ledger's (offload.ledgerUrl) PostgreSQL password; set by "Offload: Set Team Ledger Password".
  {
    id: LEDGER_PASSWORD_SLOT,
    label: 'Team ledger password (OFFLOAD_LEDGER_PASSWORD)',
    env: ['OFFLOAD_LEDGER_PASSWORD'],
    optional: true,
  },
];

/** Where a key came from, for Doctor and the log (never the key itself). */
export type KeySource = 'secret storage' | `env ${string}` | 'not set';

/**
 * API keys from SecretStorage with the environment as fallback. Remembers the values it has seen
 * so the log can redact them. `onDidChange` fires when any Offload key changes (in any window).
 */
export class ApiKeyStore {
  private readonly seen = new Set<string>();
  readonly onDidChange: vscode.Event<vscode.SecretStorageChangeEvent>;

  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly env: Record<string, string | undefined>,
  ) {
    this.onDidChange = (listener, thisArg, disposables) =>
      storage.onDidChange(
        (e) => {
          if (API_KEY_SLOTS.some((s) => s.id === e.key)) listener.call(thisArg, e);
        },
        undefined,
        disposables,
      );
  }

  /** The key for `slotId` and where it came from. Throws on an unknown slot id. */
  async get(slotId: string): Promise<{ value?: string; source: KeySource }> {
    const slot = API_KEY_SLOTS.find((s) => s.id === slotId);
    if (!slot) throw new Error(`unknown API key slot ${slotId}`);
    const stored = await this.storage.get(slot.id);
    if (stored) return this.remember(stored, 'secret storage');
    for (const name of slot.env) if (this.env[name]) return this.remember(this.env[name], `env ${name}`);
    return { source: 'not set' };
  }

  async store(slotId: string, value: string): Promise<void> {
    this.seen.add(value);
    await this.storage.store(slotId, value);
  }

  async delete(slotId: string): Promise<void> {
    await this.storage.delete(slotId);
  }

  /** Every key value seen in this session, for redaction. */
  known(): string[] {
    return [...this.seen];
  }

  private remember(value: string, source: KeySource): { value: string; source: KeySource } {
    this.seen.add(value);
    return { value, source };
  }
}
