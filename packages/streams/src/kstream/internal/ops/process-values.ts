/**
 * `processValues`: runs a fixed-key processor, connected to the state stores it names (Kafka's
 * `KStreamImpl.processValues`). Its context only forwards records with the key it was given,
 * which is why the stream keeps its partitioning.
 */
import type {
  Cancellable,
  FixedKeyProcessor,
  FixedKeyProcessorContext,
  FixedKeyProcessorSupplier,
  Processor,
  ProcessorContext,
  ProcessorSupplier,
  PunctuationType,
  Punctuator,
  RecordMetadata,
  TaskId,
} from '../../../processor/processor.js';
import type { StateStore } from '../../../state/state-store.js';
import { FixedKeyRecord, StreamRecord } from '../../../processor/stream-record.js';
import type { Named } from '../../named.js';
import { checkFunction } from '../check-function.js';
import type { KStreamImpl, KStreamNode } from '../kstream-impl.js';
import { splitNamedArguments } from './process.js';

/** The fixed-key view of a task context: the same context, forwarding only fixed-key records. */
class FixedKeyContextView<K, VOut> implements FixedKeyProcessorContext<K, VOut> {
  /**
   * The last record handed to the processor, and the record it was made from: a processor that
   * forwards the record it got (a filter, a de-duplication) forwards that one, with no copy.
   * Both are immutable but for their shared headers, so they stay interchangeable.
   */
  received: FixedKeyRecord<K, unknown> | undefined = undefined;
  receivedFrom: StreamRecord<K, unknown> | undefined = undefined;

  constructor(private readonly context: ProcessorContext<K, VOut>) {}

  get applicationId(): string {
    return this.context.applicationId;
  }

  get taskId(): TaskId {
    return this.context.taskId;
  }

  get appConfigs(): Readonly<Record<string, unknown>> {
    return this.context.appConfigs;
  }

  recordMetadata(): RecordMetadata | undefined {
    return this.context.recordMetadata();
  }

  currentStreamTimeMs(): number {
    return this.context.currentStreamTimeMs();
  }

  currentSystemTimeMs(): number {
    return this.context.currentSystemTimeMs();
  }

  getStateStore<S extends StateStore = StateStore>(name: string): S {
    return this.context.getStateStore<S>(name);
  }

  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable {
    return this.context.schedule(intervalMs, type, punctuator);
  }

  commit(): void {
    this.context.commit();
  }

  forward<V extends VOut>(record: FixedKeyRecord<K, V>, childName?: string): void {
    const same = record === this.received ? (this.receivedFrom as StreamRecord<K, V>) : new StreamRecord(record.key, record.value, record.timestamp, record.headers);
    this.context.forward(same, childName);
  }
}

class FixedKeyProcessorAdapter<K, V, VOut> implements Processor<K, V, K, VOut> {
  private view: FixedKeyContextView<K, VOut> | undefined;

  constructor(private readonly inner: FixedKeyProcessor<K, V, VOut>) {}

  init(context: ProcessorContext<K, VOut>): void {
    this.view = new FixedKeyContextView(context);
    this.inner.init?.(this.view);
  }

  process(record: StreamRecord<K, V>): void {
    const fixed = new FixedKeyRecord(record.key, record.value, record.timestamp, record.headers);
    const view = this.view;
    if (view !== undefined) {
      view.received = fixed;
      view.receivedFrom = record;
    }
    this.inner.process(fixed);
  }

  close(): void {
    this.inner.close?.();
  }
}

function processValuesProcessor<K, V, VOut>(supplier: FixedKeyProcessorSupplier<K, V, VOut>): ProcessorSupplier<K, V, K, VOut> {
  return () => new FixedKeyProcessorAdapter(supplier());
}

/** Adds the processor node, named by `Named` or generated, and connects the stores named after it. */
export function processStreamValues<K, V, VOut>(stream: KStreamImpl<K, V>, supplier: FixedKeyProcessorSupplier<K, V, VOut>, rest: ReadonlyArray<Named | string>): KStreamNode<K, VOut> {
  const { named, stores } = splitNamedArguments(rest);
  const topology = stream.topology;
  const name = topology.nameOr(named?.name, 'KSTREAM-PROCESSVALUES-');
  topology.addProcessor(name, processValuesProcessor(checkFunction(supplier, 'processValues')), [stream.nodeName]);
  if (stores.length > 0) topology.connectProcessorAndStateStores([name], stores);
  return { nodeName: name, keySerde: stream.keySerde, valueSerde: undefined, repartitionRequired: stream.repartitionRequired };
}
