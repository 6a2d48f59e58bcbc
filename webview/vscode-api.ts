import type { FromWebview, View } from '../src/shared/protocol';

/** The webview host API (VS Code injects acquireVsCodeApi). */
interface VsCodeApi {
  postMessage(msg: FromWebview): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** The page's saved state: which view, which job was open. */
export interface SavedState {
  view: View;
  job_id?: string;
}

export const api: VsCodeApi = acquireVsCodeApi();

/** Posts one message to the host. */
export function post(msg: FromWebview): void {
  api.postMessage(msg);
}
