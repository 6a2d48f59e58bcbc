import type * as vscode from 'vscode';
import { redact } from '../core/redact';

/** The "Offload" log with every known secret and key-shaped token redacted (src/core/redact.ts). */
export class RedactingLog {
  constructor(
    private readonly channel: vscode.LogOutputChannel,
    private readonly secrets: () => readonly string[],
  ) {}

  info(line: string): void {
    this.channel.info(this.clean(line));
  }
  warn(line: string): void {
    this.channel.warn(this.clean(line));
  }
  error(line: string): void {
    this.channel.error(this.clean(line));
  }
  trace(line: string): void {
    this.channel.trace(this.clean(line));
  }
  show(): void {
    this.channel.show(true);
  }

  private clean(line: string): string {
    return redact(line, this.secrets());
  }
}
