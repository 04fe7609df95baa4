/**
 * `KTable.groupBy`'s selector (Kafka's `KTableRepartitionMap`): maps both sides of a row's
 * change to (group key, value) pairs. When the row stays in its group, one record carries both
 * values; when it moves, the old pair goes to its old group as a subtraction and the new pair to
 * its new group as an addition. Records go out as encoded changes (see `change-encoding.ts`);
 * pairs with a null value are not sent, and pairs with a null group key are dropped and counted.
 */
import { Headers } from '../../../processor/headers.js';
import { internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { Serde } from '../../../serde/serde.js';
import type { KeyValue } from '../../../state/key-value-store.js';
import type { KeyValueMapper } from '../../functions.js';
import { change, type Change } from '../change.js';
import { encodeChange } from '../change-encoding.js';
import { resolveSerde } from '../resolve-serde.js';

const noHeaders = new Headers();

class TableRepartitionMapProcessor<K, V, KR, VR> implements Processor<K, Change<V>, KR, Buffer> {
  private context!: ProcessorContext<KR, Buffer>;
  private task!: TaskContext;
  private keySerde!: Serde<KR>;
  private valueSerde!: Serde<VR>;
  private topic!: string;

  constructor(
    private readonly selector: KeyValueMapper<K, V, KeyValue<KR, VR>>,
    private readonly options: { keySerde: Serde<KR> | undefined; valueSerde: Serde<VR> | undefined; topic: string },
  ) {}

  init(context: ProcessorContext<KR, Buffer>): void {
    this.context = context;
    this.task = internalContext(context);
    this.keySerde = resolveSerde(context, this.options.keySerde, 'key', `KTable.groupBy (repartition topic '${this.options.topic}')`);
    this.valueSerde = resolveSerde(context, this.options.valueSerde, 'value', `KTable.groupBy (repartition topic '${this.options.topic}')`);
    this.topic = `${context.applicationId}-${this.options.topic}`;
  }

  process(record: StreamRecord<K, Change<V>>): void {
    const { newValue, oldValue } = record.value;
    const newPair = newValue === null ? undefined : this.selector(record.key, newValue);
    const oldPair = oldValue === null ? undefined : this.selector(record.key, oldValue);
    // As Kafka's KTableRepartitionMap: a pair with a null key or value is not sent, and the old
    // pair goes first; when both pairs go to one group they travel as one change.
    const sendOld = this.sendable(oldPair);
    const sendNew = this.sendable(newPair);
    if (sendOld && sendNew && this.sameKey(newPair!.key, oldPair!.key)) {
      this.send(record, oldPair!.key, change(newPair!.value, oldPair!.value));
      return;
    }
    if (sendOld) this.send(record, oldPair!.key, change(null, oldPair!.value));
    if (sendNew) this.send(record, newPair!.key, change(newPair!.value, null));
  }

  /** Whether a selected pair is sent: it has a key (a null one is counted as dropped) and a value. */
  private sendable(selected: KeyValue<KR, VR> | undefined): boolean {
    if (selected === undefined) return false;
    if (selected.key === null || selected.key === undefined) {
      this.task.dropRecord('null-key', 'Table grouping skipped a record whose selected key is null.');
      return false;
    }
    return selected.value !== null && selected.value !== undefined;
  }

  private send(record: StreamRecord<K, Change<V>>, key: KR, value: Change<VR>): void {
    this.context.forward(record.withKey(key).withValue(encodeChange(this.valueSerde, this.topic, value, record.headers)));
  }

  private sameKey(left: KR, right: KR): boolean {
    if (left === right) return true;
    if (left === null || right === null || left === undefined || right === undefined) return false;
    if (typeof left !== 'object' && typeof right !== 'object') return false;
    return this.keySerde.serialize(this.topic, left, noHeaders).equals(this.keySerde.serialize(this.topic, right, noHeaders));
  }
}

export function tableRepartitionMapProcessor<K, V, KR, VR>(
  selector: KeyValueMapper<K, V, KeyValue<KR, VR>>,
  options: { keySerde: Serde<KR> | undefined; valueSerde: Serde<VR> | undefined; topic: string },
): ProcessorSupplier<K, Change<V>, KR, Buffer> {
  return () => new TableRepartitionMapProcessor(selector, options);
}
