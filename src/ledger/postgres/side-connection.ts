/**
 * The team ledger's own connection beside its pool: it LISTENs for breaker changes (breaker.ts
 * BREAKER_CHANNEL) and carries the lease heartbeat, so neither waits behind a pool busy with
 * admissions. A lost connection (server restart, network) is opened again after `retryMs`; until
 * then the heartbeat goes through the pool, so a live process's leases do not lapse, and breaker
 * changes are only heard late (reserve reads the breaker row anyway).
 */
import type pg from 'pg';
import { BREAKER_CHANNEL } from './breaker';
import { Client } from './driver';

/** The LISTEN and heartbeat connection. */
export class SideConnection {
  private client: pg.Client | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly pool: pg.Pool,
    private readonly onNotify: () => void,
    private readonly retryMs = 1_000,
  ) {}

  /** Connects and LISTENs. Throws the driver's error when the first connection fails. */
  async open(): Promise<void> {
    const client = new Client(this.config);
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', () => this.onNotify());
    try {
      await client.connect();
      await client.query(`LISTEN ${BREAKER_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    void client.end().catch(() => {});
    this.reconnect();
  }

  private reconnect(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      // A breaker change missed while disconnected is heard as one notification now.
      this.open().then(this.onNotify, () => this.reconnect());
    }, this.retryMs);
    this.retry.unref();
  }

  /** The connection for the heartbeat: this one while it is up, else the pool. */
  get queryable(): pg.Client | pg.Pool {
    return this.client ?? this.pool;
  }

  /** Closes it for good (no reconnect). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => {});
  }
}
