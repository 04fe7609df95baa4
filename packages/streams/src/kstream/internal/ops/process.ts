/**
 * `process`: run a user's processor below the stream, connected to the state stores it names
 * (Kafka's `KStreamImpl.process`). Its output may have any key, so the stream it returns needs a
 * repartition before grouping or joining.
 */
import { TopologyError } from '../../../errors/streams-error.js';
import type { ProcessorSupplier } from '../../../processor/processor.js';
import type { Named } from '../../named.js';
import { checkFunction } from '../check-function.js';
import type { KStreamImpl, KStreamNode } from '../kstream-impl.js';

/** Splits `process(supplier, named?, ...stores)` arguments; shared with `processValues`. */
export function splitNamedArguments(rest: ReadonlyArray<Named | string>): { named: Named | undefined; stores: string[] } {
  const [first, ...others] = rest;
  if (first !== undefined && typeof first === 'object') {
    return { named: first, stores: others.map((store) => checkStoreName(store)) };
  }
  return { named: undefined, stores: rest.map((store) => checkStoreName(store)) };
}

function checkStoreName(store: Named | string): string {
  if (typeof store !== 'string') throw new TopologyError('State store names passed to process() must be strings; give Named only as the second argument.');
  return store;
}

/** Adds the processor node, named by `Named` or generated, and connects the stores named after it. */
export function processStream<K, V, KOut, VOut>(stream: KStreamImpl<K, V>, supplier: ProcessorSupplier<K, V, KOut, VOut>, rest: ReadonlyArray<Named | string>): KStreamNode<KOut, VOut> {
  const { named, stores } = splitNamedArguments(rest);
  const topology = stream.topology;
  const name = topology.nameOr(named?.name, 'KSTREAM-PROCESSOR-');
  topology.addProcessor(name, checkFunction(supplier, 'process'), [stream.nodeName]);
  if (stores.length > 0) topology.connectProcessorAndStateStores([name], stores);
  return { nodeName: name, keySerde: undefined, valueSerde: undefined, repartitionRequired: true };
}
