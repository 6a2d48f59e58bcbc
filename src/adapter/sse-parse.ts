/**
 * Incremental Server-Sent Events parser over raw bytes, for the upstream's streamed chat
 * completions. Rules from the WHATWG HTML "event stream interpretation", as the `openai` SDK's
 * SSEDecoder applies them: lines end in CRLF, LF or CR; a blank line dispatches the event; `:`
 * starts a comment; `field: value` drops one leading space of the value; `data` lines join with
 * "\n"; fields other than `event` and `data` are ignored; an event cut off by the end of the
 * stream (no blank line after it) is not dispatched.
 */

/** One dispatched event. `event` is null when the event had no (or an empty) `event:` field. */
export interface ServerSentEvent {
  event: string | null;
  data: string;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;

/**
 * Feed it the response body's chunks in order with `push`; each call returns the events completed
 * by that chunk. Chunks may split anywhere, even inside a UTF-8 character: a line is decoded only
 * once its terminator arrived (CR and LF never occur inside a multi-byte UTF-8 sequence).
 */
export class SseDecoder {
  /** Bytes of the line not terminated yet (no CR or LF among them). */
  #pending: Buffer[] = [];
  /** The previous chunk ended in CR: an LF opening the next chunk completes that CRLF. */
  #skipLf = false;
  #first = true;
  #event: string | null = null;
  #data: string[] = [];

  push(chunk: Uint8Array): ServerSentEvent[] {
    const out: ServerSentEvent[] = [];
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    if (this.#skipLf && buf.length > 0) {
      if (buf[0] === LF) start = 1;
      this.#skipLf = false;
    }
    let lf = buf.indexOf(LF, start);
    let cr = buf.indexOf(CR, start);
    if (lf === -1 && cr === -1) {
      if (start < buf.length) this.#pending.push(buf.subarray(start));
      return out;
    }
    if (this.#pending.length > 0) {
      const rest = buf.subarray(start);
      buf = Buffer.concat([...this.#pending, rest]);
      const shift = buf.length - rest.length;
      this.#pending = [];
      if (lf !== -1) lf += shift - start;
      if (cr !== -1) cr += shift - start;
      start = 0;
    }
    while (lf !== -1 || cr !== -1) {
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 === buf.length) {
          next = cr + 1;
          this.#skipLf = true;
        } else next = buf[cr + 1] === LF ? cr + 2 : cr + 1;
      } else {
        end = lf;
        next = lf + 1;
      }
      this.#line(buf, start, end, out);
      start = next;
      if (lf !== -1 && lf < start) lf = buf.indexOf(LF, start);
      if (cr !== -1 && cr < start) cr = buf.indexOf(CR, start);
    }
    if (start < buf.length) this.#pending.push(buf.subarray(start));
    return out;
  }

  #line(buf: Buffer, start: number, end: number, out: ServerSentEvent[]): void {
    let line = buf.toString('utf8', start, end);
    if (this.#first) {
      this.#first = false;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1); // a leading byte-order mark is not part of the stream
    }
    if (line === '') {
      if (!this.#event && this.#data.length === 0) return;
      out.push({ event: this.#event || null, data: this.#data.join('\n') });
      this.#event = null;
      this.#data = [];
      return;
    }
    if (line.charCodeAt(0) === COLON) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
  }
}
