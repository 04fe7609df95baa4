/** A record as a test pipes it in or reads it out: typed key and value, timestamp and headers. */
import { Headers } from '../processor/headers.js';

export class TestRecord<K, V> {
  readonly headers: Headers;

  /**
   * @param timestamp event time; `undefined` lets the input topic pick it (its auto-advancing clock)
   * @param headers copied, so the test can reuse its own
   */
  constructor(
    readonly key: K | null,
    readonly value: V | null,
    readonly timestamp?: number,
    headers?: Headers,
  ) {
    this.headers = headers === undefined ? new Headers() : headers.copy();
  }
}
