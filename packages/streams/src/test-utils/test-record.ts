/** A record as a test pipes it in or reads it out: typed key and value, timestamp and headers. */
import { Headers } from '../processor/headers.js';

/**
 * One record in a test, as Kafka Streams' `TestRecord`: built by a test to pipe in with
 * `TestInputTopic.pipeInput`, or returned by `TestOutputTopic.readRecord`.
 */
export class TestRecord<K, V> {
  /** The record's own copy of its headers; empty when none were given. */
  readonly headers: Headers;

  /**
   * A record to pipe in with `TestInputTopic.pipeInput(record)`.
   *
   * @param key the key; `null` for a record without one
   * @param value the value; `null` is a tombstone for tables
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
