/**
 * What a client adapter's JoinGroup waits for: the commit of the revoke that began the rebalance
 * (`GroupMembershipListener.onRevoked`), as Kafka's consumer runs `onPartitionsRevoked` before it
 * rejoins. The group waits for every member's JoinGroup, so no other member gets the revoked
 * partitions before their last writes; a flush that landed after the new owner read its
 * changelogs' ends would be taken as committed data at its next commit, and restored as the latest.
 */
import { withTimeout } from '../../internal/with-timeout.js';
import type { ConsumerConfig } from '../kafka-client.js';

export class RevocationHold {
  private revocation: Promise<void> = Promise.resolve();
  /**
   * How long a join waits at most: neither client heartbeats while it waits, so half the session
   * timeout (or of the rebalance timeout, if shorter); a commit that hangs (a broker away) costs
   * the member neither its membership nor the rebalance.
   */
  private readonly limitMs: number;

  constructor(config: Pick<ConsumerConfig, 'sessionTimeoutMs' | 'rebalanceTimeoutMs'>) {
    this.limitMs = Math.min(config.sessionTimeoutMs, config.rebalanceTimeoutMs ?? config.sessionTimeoutMs) / 2;
  }

  /** Notes the commit a revoke started (what `onRevoked` returned); its failure is the listener's to report. */
  revoked(commit: void | Promise<void>): void {
    this.revocation = Promise.resolve(commit).catch(() => {});
  }

  /** Settles once the last revoke's commit has, or the limit passed. */
  async beforeJoin(): Promise<void> {
    await withTimeout(this.revocation, this.limitMs, () => new Error('The revoke commit is still running; the member joins anyway.')).catch(() => {});
  }
}
