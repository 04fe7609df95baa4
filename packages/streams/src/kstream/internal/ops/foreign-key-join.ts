/**
 * `KTable.join` / `leftJoin` with a foreign-key extractor (KIP-213), built as Kafka Streams
 * builds it, over two internal topics so that neither table needs the other's partitioning:
 *
 * 1. left side: each left change sends subscriptions, keyed by foreign key, to
 *    `<name>-subscription-registration-topic` (remove from the old key, register with the new),
 *    with the instructions Kafka Streams 3.9.2 sends; a left join's row without a foreign key
 *    goes with a null key, and the right side answers it with null;
 * 2. right side, co-partitioned with the right table: subscriptions are kept in a store keyed by
 *    (foreign key, primary key), so a right row's update finds every left row pointing at it
 *    with a prefix scan (the in-memory store's `range` over key bytes); both answer with the
 *    right row on `<name>-subscription-response-topic`, keyed by primary key;
 * 3. left side, co-partitioned with the left table: an answer whose hash of the left value no
 *    longer matches the left row is stale and dropped; otherwise the joiner runs and the result
 *    is materialized as a table.
 *
 * The records on both internal topics are Kafka's, byte for byte (see `../foreign-key-wire.ts`).
 */
import { StreamsError } from '../../../errors/streams-error.js';
import { internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { InternalTopologyBuilder } from '../../../processor/internal/topology-builder.js';
import type { Processor, ProcessorContext } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import { Headers } from '../../../processor/headers.js';
import { Serdes } from '../../../serde/serdes.js';
import type { Serde } from '../../../serde/serde.js';
import type { KeyValueStore } from '../../../state/key-value-store.js';
import type { TableJoined } from '../../joined.js';
import type { Materialized } from '../../materialized.js';
import type { Change } from '../change.js';
import {
  combinedKey,
  decodeResponse,
  decodeSubscription,
  encodeResponse,
  encodeSubscription,
  foreignKeyPrefix,
  hashValue,
  Instruction,
  prefixUpperBound,
  sameHash,
  type Subscription,
} from '../foreign-key-wire.js';
import type { KTableImpl, KTableNode } from '../ktable-impl.js';
import type { KTableValueGetter, KTableValueGetterSupplier } from '../ktable-value-getter.js';
import { resolveSerde } from '../resolve-serde.js';
import { bytesStoreBuilder, sourceTopicsOf, tableStoreName } from '../table-store.js';
import { addTableSource } from './table-source.js';

const noHeaders = new Headers();

/** Serdes of the join, as given by the two tables (or the config's defaults, resolved in init). */
interface JoinSerdes<K, V, KO, VO> {
  readonly primaryKey: Serde<K> | undefined;
  readonly leftValue: Serde<V> | undefined;
  readonly foreignKey: Serde<KO> | undefined;
  readonly foreignValue: Serde<VO> | undefined;
}

interface Names {
  readonly subscriptionTopic: string;
  readonly responseTopic: string;
  readonly subscriptionSink: string;
  readonly responseSink: string;
  readonly subscriptionStore: string;
}

function serialize<T>(serde: Serde<T>, topic: string, value: T | null | undefined): Buffer | null {
  return value === null || value === undefined ? null : serde.serialize(topic, value, noHeaders);
}

/** Step 1: turns left changes into subscriptions (and, for rows without a foreign key, answers). */
class SubscriptionSendProcessor<K, V, KO> implements Processor<K, Change<V>, Buffer | null, Buffer> {
  private context!: ProcessorContext<Buffer | null, Buffer>;
  private primaryKeySerde!: Serde<K>;
  private leftValueSerde!: Serde<V>;
  private foreignKeySerde!: Serde<KO>;
  private task!: TaskContext;

  constructor(
    private readonly extractor: (value: V) => KO,
    private readonly leftJoin: boolean,
    private readonly serdes: JoinSerdes<K, V, KO, unknown>,
    private readonly names: Names,
  ) {}

  init(context: ProcessorContext<Buffer | null, Buffer>): void {
    this.context = context;
    const what = `The foreign-key join writing '${this.names.subscriptionTopic}'`;
    this.primaryKeySerde = resolveSerde(context, this.serdes.primaryKey, 'key', what);
    this.leftValueSerde = resolveSerde(context, this.serdes.leftValue, 'value', what);
    this.foreignKeySerde = resolveSerde(context, this.serdes.foreignKey, 'key', what);
    this.task = internalContext(context);
  }

  process(record: StreamRecord<K, Change<V>>): void {
    if (record.key === null || record.key === undefined) {
      this.task.dropRecord('null-key', 'Foreign-key join skipped a record with a null key.');
      return;
    }
    const { newValue, oldValue } = record.value;
    const topic = this.names.subscriptionTopic;
    const primaryKey = this.primaryKeySerde.serialize(topic, record.key, noHeaders);
    const newForeignKey = newValue === null ? null : serialize(this.foreignKeySerde, topic, this.extractor(newValue));
    const oldForeignKey = oldValue === null ? null : serialize(this.foreignKeySerde, topic, this.extractor(oldValue));
    const newHash = hashValue(serialize(this.leftValueSerde, topic, newValue));
    // Kafka's subscription (version 1) names the left record's partition, for the response's way back.
    const partition = this.context.recordMetadata()?.partition ?? this.context.taskId.partition;
    // A null foreign key goes out with a null key (left joins): the right side answers it with null.
    const send = (foreignKey: Buffer | null, instruction: Instruction): void => {
      this.context.forward(record.withKey(foreignKey).withValue(encodeSubscription(instruction, newHash, primaryKey, partition)), this.names.subscriptionSink);
    };
    const moved = oldForeignKey !== null && (newForeignKey === null || !newForeignKey.equals(oldForeignKey));
    // The instructions Kafka Streams 3.9.2 sends for each change (SubscriptionSendProcessorSupplier).
    if (this.leftJoin) {
      if (oldValue === null && newValue === null) return;
      if (moved) send(oldForeignKey, Instruction.DeleteKeyNoPropagate);
      send(newForeignKey, Instruction.PropagateNullIfNoForeignValue);
      return;
    }
    if (oldValue === null && newValue === null) return;
    if (oldForeignKey === null && newForeignKey === null) {
      this.task.dropRecord('null-key', 'Foreign-key join skipped a record whose foreign key is null.');
    } else if (oldForeignKey === null) {
      send(newForeignKey, Instruction.PropagateOnlyIfForeignValue);
    } else if (newForeignKey === null) {
      // The row was deleted, or no longer points anywhere: its result must go.
      send(oldForeignKey, Instruction.DeleteKeyAndPropagate);
    } else if (moved) {
      send(oldForeignKey, Instruction.DeleteKeyNoPropagate);
      // Propagate null if the new key has no row, to retract the result the old key gave.
      send(newForeignKey, Instruction.PropagateNullIfNoForeignValue);
    } else {
      send(newForeignKey, Instruction.PropagateOnlyIfForeignValue);
    }
  }
}

/** Step 2a: keeps subscriptions (Kafka Streams' subscription receive node) and passes on those to answer. */
class SubscriptionReceiveProcessor implements Processor<Buffer | null, Buffer, Buffer | null, Subscription> {
  private context!: ProcessorContext<Buffer | null, Subscription>;
  private task!: TaskContext;
  private store!: KeyValueStore<Buffer, Buffer>;

  constructor(private readonly names: Names) {}

  init(context: ProcessorContext<Buffer | null, Subscription>): void {
    this.context = context;
    this.store = context.getStateStore<KeyValueStore<Buffer, Buffer>>(this.names.subscriptionStore);
    this.task = internalContext(context);
  }

  process(record: StreamRecord<Buffer | null, Buffer>): void {
    if (record.value === null) throw nullPartError(this.names.subscriptionTopic, 'value');
    const subscription = decodeSubscription(record.value);
    const instruction = subscription.instruction;
    if (record.key === null) {
      // A left row without a foreign key: nothing to keep, answered with null (anything else is not Kafka's).
      if (instruction === Instruction.PropagateNullIfNoForeignValue) this.context.forward(record.withValue(subscription));
      else this.task.dropRecord('null-key', 'Foreign-key join skipped a subscription with a null foreign key.');
      return;
    }
    const key = combinedKey(record.key, subscription.primaryKey);
    if (instruction === Instruction.DeleteKeyAndPropagate || instruction === Instruction.DeleteKeyNoPropagate) this.store.delete(key);
    else this.store.put(key, record.value);
    if (instruction === Instruction.DeleteKeyNoPropagate) return;
    this.context.forward(record.withValue(subscription));
  }
}

/** Step 2a, continued: answers a subscription with the right row (Kafka Streams' subscription join node). */
class SubscriptionJoinProcessor<KO, VO> implements Processor<Buffer | null, Subscription, Buffer, Buffer> {
  private context!: ProcessorContext<Buffer, Buffer>;
  private foreignValues!: KTableValueGetter<KO, VO>;
  private foreignKeySerde!: Serde<KO>;
  private foreignValueSerde!: Serde<VO>;

  constructor(
    private readonly rightGetter: KTableValueGetterSupplier<KO, VO>,
    private readonly serdes: JoinSerdes<unknown, unknown, KO, VO>,
    private readonly names: Names,
  ) {}

  init(context: ProcessorContext<Buffer, Buffer>): void {
    this.context = context;
    this.foreignValues = this.rightGetter.get();
    this.foreignValues.init(context as ProcessorContext<unknown, unknown>);
    const what = `The foreign-key join reading '${this.names.subscriptionTopic}'`;
    this.foreignKeySerde = resolveSerde(context, this.serdes.foreignKey, 'key', what);
    this.foreignValueSerde = resolveSerde(context, this.serdes.foreignValue, 'value', what);
  }

  process(record: StreamRecord<Buffer | null, Subscription>): void {
    const subscription = record.value;
    if (record.key === null) {
      this.answer(record, subscription.primaryKey, subscription.hash, null, record.timestamp);
      return;
    }
    const instruction = subscription.instruction;
    const found = this.foreignValues.get(this.foreignKeySerde.deserialize(this.names.subscriptionTopic, record.key, noHeaders));
    if (found === undefined && instruction === Instruction.PropagateOnlyIfForeignValue) return;
    const timestamp = found === undefined ? record.timestamp : Math.max(record.timestamp, found.timestamp);
    const foreignValue = found === undefined || instruction === Instruction.DeleteKeyAndPropagate ? null : found.value;
    this.answer(record, subscription.primaryKey, subscription.hash, foreignValue, timestamp);
  }

  private answer(record: StreamRecord<Buffer | null, Subscription>, primaryKey: Buffer, hash: Buffer | null, foreignValue: VO | null, timestamp: number): void {
    const bytes = serialize(this.foreignValueSerde, this.names.responseTopic, foreignValue);
    this.context.forward(record.withKey(Buffer.from(primaryKey)).withValue(encodeResponse(hash, bytes)).withTimestamp(timestamp));
  }
}

/** Step 2b: a right row's change answers every subscription to its key. */
class ForeignTableJoinProcessor<KO, VO> implements Processor<KO, Change<VO>, Buffer, Buffer> {
  private context!: ProcessorContext<Buffer, Buffer>;
  private store!: KeyValueStore<Buffer, Buffer>;
  private foreignKeySerde!: Serde<KO>;
  private foreignValueSerde!: Serde<VO>;

  constructor(
    private readonly serdes: JoinSerdes<unknown, unknown, KO, VO>,
    private readonly names: Names,
  ) {}

  init(context: ProcessorContext<Buffer, Buffer>): void {
    this.context = context;
    this.store = context.getStateStore<KeyValueStore<Buffer, Buffer>>(this.names.subscriptionStore);
    const what = `The foreign-key join's right side (topic '${this.names.responseTopic}')`;
    this.foreignKeySerde = resolveSerde(context, this.serdes.foreignKey, 'key', what);
    this.foreignValueSerde = resolveSerde(context, this.serdes.foreignValue, 'value', what);
  }

  process(record: StreamRecord<KO, Change<VO>>): void {
    if (record.key === null || record.key === undefined) return;
    // Kafka answers every subscriber even for a tombstone of a row that was already gone.
    const newValue = record.value.newValue;
    const prefix = foreignKeyPrefix(this.foreignKeySerde.serialize(this.names.subscriptionTopic, record.key, noHeaders));
    const upper = prefixUpperBound(prefix);
    const foreignValue = serialize(this.foreignValueSerde, this.names.responseTopic, newValue);
    // `range` includes its upper bound, which never starts with the prefix: the check skips it.
    const subscriptions: Buffer[] = [];
    for (const entry of this.store.range(prefix, upper)) {
      if (entry.key.length >= prefix.length && entry.key.subarray(0, prefix.length).equals(prefix)) subscriptions.push(entry.value);
    }
    for (const bytes of subscriptions) {
      const subscription = decodeSubscription(bytes);
      this.context.forward(record.withKey(Buffer.from(subscription.primaryKey)).withValue(encodeResponse(subscription.hash, foreignValue)));
    }
  }
}

/** Step 3: joins an answer with the left row it was meant for, unless the row changed since. */
class ResponseJoinProcessor<K, V, VO, VR> implements Processor<Buffer, Buffer, K, VR | null> {
  private context!: ProcessorContext<K, VR | null>;
  private leftValues!: KTableValueGetter<K, V>;
  private primaryKeySerde!: Serde<K>;
  private leftValueSerde!: Serde<V>;
  private foreignValueSerde!: Serde<VO>;

  constructor(
    private readonly leftGetter: KTableValueGetterSupplier<K, V>,
    private readonly joiner: (value: V, foreignValue: VO | null) => VR,
    private readonly leftJoin: boolean,
    private readonly serdes: JoinSerdes<K, V, unknown, VO>,
    private readonly names: Names,
  ) {}

  init(context: ProcessorContext<K, VR | null>): void {
    this.context = context;
    this.leftValues = this.leftGetter.get();
    this.leftValues.init(context as ProcessorContext<unknown, unknown>);
    const what = `The foreign-key join reading '${this.names.responseTopic}'`;
    this.primaryKeySerde = resolveSerde(context, this.serdes.primaryKey, 'key', what);
    this.leftValueSerde = resolveSerde(context, this.serdes.leftValue, 'value', what);
    this.foreignValueSerde = resolveSerde(context, this.serdes.foreignValue, 'value', what);
  }

  process(record: StreamRecord<Buffer, Buffer>): void {
    if (record.key === null || record.value === null) throw nullPartError(this.names.responseTopic, record.key === null ? 'key' : 'value');
    const response = decodeResponse(record.value);
    const key = this.primaryKeySerde.deserialize(this.names.responseTopic, record.key, noHeaders);
    const current = this.leftValues.get(key);
    const currentValue = current === undefined ? null : current.value;
    if (!sameHash(hashValue(serialize(this.leftValueSerde, this.names.subscriptionTopic, currentValue)), response.hash)) return;
    const foreignValue = response.foreignValue === null ? null : this.foreignValueSerde.deserialize(this.names.responseTopic, response.foreignValue, noHeaders);
    const result = currentValue === null || (foreignValue === null && !this.leftJoin) ? null : this.joiner(currentValue, foreignValue);
    this.context.forward(record.withKey(key).withValue(result ?? null));
  }
}

/** A record on one of the join's internal topics with a part the join always writes missing (Kafka Streams fails on it too, in its deserializer or store). */
function nullPartError(topic: string, part: 'key' | 'value'): StreamsError {
  return new StreamsError(
    'FK_JOIN_WIRE',
    `A record on the foreign-key join's internal topic '${topic}' has a null ${part}, which the join never writes. The topic holds records another program wrote: reset the application (or delete the topic) so that only the join writes it.`,
  );
}

/** Every node, topic and store name of one foreign-key join. */
interface JoinNames extends Names {
  readonly sendName: string;
  readonly subscriptionSource: string;
  readonly receiveName: string;
  readonly lookupName: string;
  readonly foreignName: string;
  readonly responseSource: string;
  readonly resolveName: string;
  readonly outputName: string;
}

/**
 * The join's names, from `TableJoined.as(name)` (`<name>-subscription-registration-topic` and so
 * on) or generated, consuming indices in the order Kafka Streams 3.9's
 * `KTableImpl.doJoinOnForeignKey` does, so internal topics and stores get Kafka's names.
 */
function joinNames(topology: InternalTopologyBuilder, tableJoined: TableJoined | undefined): JoinNames {
  const named = tableJoined?.name;
  const nameOr = (suffix: string, prefix: string): string => topology.nameOr(named === undefined ? undefined : `${named}${suffix}`, prefix);
  const subscriptionTopic = `${nameOr('-subscription-registration', 'KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-')}-topic`;
  const sendName = nameOr('-subscription-registration-processor', 'KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-');
  const subscriptionSink = nameOr('-subscription-registration-sink', 'KTABLE-SINK-');
  const subscriptionSource = nameOr('-subscription-registration-source', 'KTABLE-SOURCE-');
  const subscriptionStore = nameOr('-subscription-store', 'KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-');
  const receiveName = nameOr('-subscription-receive', 'KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-');
  const lookupName = nameOr('-subscription-join-foreign', 'KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-');
  const foreignName = nameOr('-foreign-join-subscription', 'KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-');
  const responseTopic = `${nameOr('-subscription-response', 'KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-')}-topic`;
  const responseSink = nameOr('-subscription-response-sink', 'KTABLE-SINK-');
  const responseSource = nameOr('-subscription-response-source', 'KTABLE-SOURCE-');
  const resolveName = nameOr('-subscription-response-resolver', 'KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-');
  const outputName = nameOr('-result', 'KTABLE-FK-JOIN-OUTPUT-');
  return { subscriptionTopic, responseTopic, subscriptionSink, responseSink, subscriptionStore, sendName, subscriptionSource, receiveName, lookupName, foreignName, responseSource, resolveName, outputName };
}

/** Adds a foreign-key join of `left` with `right` and returns the joined table's node, keyed like `left`. */
export function foreignKeyJoin<K, V, KO, VO, VR>(
  left: KTableImpl<K, V>,
  right: KTableImpl<KO, VO>,
  extractor: (value: V) => KO,
  joiner: (value: V, foreignValue: VO | null) => VR,
  kind: 'inner' | 'left',
  tableJoined: TableJoined | undefined,
  materialized: Materialized<K, VR> | undefined,
): KTableNode<K, VR> {
  const topology = left.topology;
  // A row whose foreign key changes must unsubscribe from its old one: the left side's old values.
  left.enableSendingOldValues(true);
  // Kafka asks the right side too (to skip unchanged values), so its tables materialize and send
  // old values as Kafka's do.
  right.enableSendingOldValues(true);
  const leftJoin = kind === 'left';
  const names = joinNames(topology, tableJoined);
  const serdes: JoinSerdes<K, V, KO, VO> = { primaryKey: left.keySerde, leftValue: left.valueSerde, foreignKey: right.keySerde, foreignValue: right.valueSerde };
  const bytes = Serdes.Bytes();
  const { sendName, subscriptionSource, receiveName, lookupName, foreignName, responseSource, resolveName, outputName } = names;

  // 1. Left changes → subscriptions (a row without a foreign key too, in a left join).
  topology.addProcessor(sendName, () => new SubscriptionSendProcessor<K, V, KO>(extractor, leftJoin, serdes, names), [left.nodeName]);
  topology.addInternalTopic({ name: names.subscriptionTopic, kind: 'repartition', partitions: undefined });
  topology.addInternalTopic({ name: names.responseTopic, kind: 'repartition', partitions: undefined });
  topology.addSink({ name: names.subscriptionSink, topic: names.subscriptionTopic, keySerde: bytes, valueSerde: bytes, partitioner: undefined, parents: [sendName] });

  // 2. Right side: subscriptions in, answers out.
  topology.addSource({ name: subscriptionSource, topics: [names.subscriptionTopic], keySerde: bytes, valueSerde: bytes, timestampExtractor: undefined });
  topology.addProcessor(receiveName, () => new SubscriptionReceiveProcessor(names), [subscriptionSource]);
  topology.addStateStore(bytesStoreBuilder(names.subscriptionStore, topology.dslStoreSuppliers), [receiveName]);
  topology.addProcessor(lookupName, () => new SubscriptionJoinProcessor<KO, VO>(right.valueGetterSupplier, serdes, names), [receiveName]);
  topology.connectProcessorAndStateStores([lookupName], right.valueGetterSupplier.storeNames);
  topology.addProcessor(foreignName, () => new ForeignTableJoinProcessor<KO, VO>(serdes, names), [right.nodeName]);
  topology.connectProcessorAndStateStores([foreignName], [names.subscriptionStore]);
  topology.addSink({ name: names.responseSink, topic: names.responseTopic, keySerde: bytes, valueSerde: bytes, partitioner: undefined, parents: [lookupName, foreignName] });
  topology.addCopartitionGroup([names.subscriptionTopic, ...sourceTopicsOf(topology, right.nodeName)]);

  // 3. Left side: answers in, results out, materialized as a table.
  topology.addSource({ name: responseSource, topics: [names.responseTopic], keySerde: bytes, valueSerde: bytes, timestampExtractor: undefined });
  topology.addProcessor(resolveName, () => new ResponseJoinProcessor<K, V, VO, VR>(left.valueGetterSupplier, joiner, leftJoin, serdes, names), [responseSource]);
  topology.connectProcessorAndStateStores([resolveName], left.valueGetterSupplier.storeNames);
  topology.addCopartitionGroup([names.responseTopic, ...sourceTopicsOf(topology, left.nodeName)]);
  const storeName = tableStoreName(topology, materialized, 'KTABLE-FK-JOIN-OUTPUT-');
  // As Kafka's, the result is a table source: without a named store it has none (so no cache and
  // no changelog) until a downstream operator needs one, and forwards every answer, even a delete
  // of a row that had no result.
  return addTableSource<K, VR>(topology, resolveName, outputName, storeName, materialized, { keySerde: left.keySerde, valueSerde: undefined });
}
