/**
 * What the change-logging layers share (Kafka's `ChangeLogging*BytesStore`s): they sit right
 * above the bytes backend, pass every write on to it and then record it in the store's changelog
 * through the task's context, in Kafka's format. A timestamped store's backend holds
 * `timestamp + value`; its changelog record holds the bare value at that timestamp (Kafka's
 * `ChangeLoggingTimestamped*BytesStore`). Reads and the lifecycle pass straight through. The
 * builder leaves this layer out when the store's changelog is disabled.
 */
import type { StreamsConfig } from '../../config.js';
import type { StateStoreContext } from '../state-store.js';
import type { BytesBackend } from '../store-suppliers.js';
import { bareValueHeaders, bareValueOf, changelogUpgradeFrom, storedTimestamp } from './timestamped-changelog.js';

export abstract class ChangeLoggingStore<Backend extends BytesBackend> {
  private context: StateStoreContext | undefined;
  /** The application's `upgradeFrom`: whether a timestamped record may need the bare-value header. */
  private upgradeFrom: StreamsConfig['upgradeFrom'];

  constructor(
    protected readonly inner: Backend,
    /** The store's name, which names its changelog (the builder's, whatever the backend calls itself). */
    readonly name: string,
    /** Whether the backend holds Kafka's timestamped layout, which the changelog logs as the bare value at its timestamp. */
    readonly timestamped: boolean,
  ) {}

  get persistent(): boolean {
    return this.inner.persistent;
  }

  open(context: StateStoreContext): void {
    this.context = context;
    this.upgradeFrom = changelogUpgradeFrom(context.appConfigs);
    this.inner.open(context);
  }

  flush(): void {
    this.inner.flush();
  }

  close(): void {
    this.inner.close();
  }

  /**
   * Logs a write in the store's changelog format: the stored bytes at `timestamp`, or for a
   * timestamped store the bare value at its own timestamp (a deletion at `timestamp`).
   */
  protected log(changelogKey: Buffer, valueBytes: Buffer | null, timestamp: number): void {
    const context = this.context!;
    if (!this.timestamped || valueBytes === null) {
      context.logChange(this.name, changelogKey, valueBytes, timestamp);
      return;
    }
    const value = bareValueOf(valueBytes);
    const valueTimestamp = storedTimestamp(valueBytes);
    context.logChange(this.name, changelogKey, value, valueTimestamp, bareValueHeaders(value, valueTimestamp, this.upgradeFrom));
  }
}
