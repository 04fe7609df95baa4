/**
 * kafkajs rejoins its group straight after a rebalance begins (its REBALANCING event), with no
 * hook to run first; Kafka's consumer runs `onPartitionsRevoked` before its JoinGroup, so the group
 * gives the revoked partitions to another member only after their last writes
 * (`GroupMembershipListener.onRevoked`). Installed once, this makes every kafkajs consumer group's
 * `joinAndSync` first await the hold of the adapter's assigner, when it has one
 * ({@link holdJoinWith}); other kafkajs consumers in the process are left as they were.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const HOLD = Symbol.for('tributary.kafka.joinHold');
const INSTALLED = Symbol.for('tributary.kafka.joinHoldInstalled');

interface ConsumerGroupPrototype {
  joinAndSync(this: { assigners?: readonly Record<symbol, unknown>[] }): Promise<unknown>;
  [INSTALLED]?: true;
}

/** Marks `assigner` (what the adapter's partition assigner returns) so that a join of its group first awaits `hold`. */
export function holdJoinWith<T extends object>(assigner: T, hold: () => Promise<void>): T {
  Object.defineProperty(assigner, HOLD, { value: hold, enumerable: false });
  return assigner;
}

/** Patches kafkajs' consumer group once; a kafkajs without the class as expected is left alone (the join then does not wait). */
export function installJoinHold(): void {
  let prototype: ConsumerGroupPrototype | undefined;
  try {
    prototype = (require('kafkajs/src/consumer/consumerGroup.js') as { prototype?: ConsumerGroupPrototype }).prototype;
  } catch {
    return;
  }
  if (typeof prototype?.joinAndSync !== 'function' || prototype[INSTALLED] === true) return;
  const joinAndSync = prototype.joinAndSync;
  prototype.joinAndSync = async function (this: { assigners?: readonly Record<symbol, unknown>[] }) {
    for (const assigner of this.assigners ?? []) {
      const hold = assigner[HOLD];
      if (typeof hold === 'function') await (hold as () => Promise<void>)();
    }
    return joinAndSync.call(this);
  };
  prototype[INSTALLED] = true;
}
