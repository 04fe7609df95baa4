/**
 * `KStream.join` / `leftJoin` / `outerJoin`: picks the join by what the stream is joined with
 * (another stream, a table or a global table) and checks the arguments of that overload.
 */
import { TopologyError } from '../../../errors/streams-error.js';
import type { KeyValueMapper, ValueJoiner } from '../../functions.js';
import type { Joined, StreamJoined } from '../../joined.js';
import type { KStream } from '../../kstream.js';
import type { Named } from '../../named.js';
import type { JoinWindows } from '../../windows.js';
import { GlobalKTableImpl } from '../global-ktable-impl.js';
import { KStreamImpl } from '../kstream-impl.js';
import { KTableImpl } from '../ktable-impl.js';
import { joinStreamToGlobalTable } from './stream-global-table-join.js';
import { joinStreams, type StreamJoinKind } from './stream-stream-join.js';
import { joinStreamToTable } from './stream-table-join.js';

export function dispatchStreamJoin<K, V>(stream: KStreamImpl<K, V>, kind: StreamJoinKind, args: readonly unknown[]): KStream<K, any> {
  const operator = kind === 'inner' ? 'join' : kind === 'left' ? 'leftJoin' : 'outerJoin';
  const [other, second, third, fourth] = args;
  if (other instanceof KStreamImpl) {
    if (other.topology !== stream.topology) throw new TopologyError(`${operator}() takes a stream built by the same StreamsBuilder.`);
    return joinStreams(stream, other, second as ValueJoiner<any, any, any>, third as JoinWindows, fourth as StreamJoined<K, V, any> | undefined, kind);
  }
  if (kind === 'outer') {
    throw new TopologyError('outerJoin() of a stream takes another stream; a stream cannot be outer-joined with a table (join the table, or convert the stream with toTable()).');
  }
  if (other instanceof KTableImpl) {
    return joinStreamToTable(stream, other as KTableImpl<K, any>, second as ValueJoiner<V, any, any>, third as Joined<K, V, any> | undefined, kind === 'left');
  }
  if (other instanceof GlobalKTableImpl) {
    return joinStreamToGlobalTable(
      stream,
      (other as GlobalKTableImpl<unknown, unknown>).valueGetterSupplier,
      second as KeyValueMapper<K, V, unknown>,
      third as ValueJoiner<V, any, any>,
      fourth as Named | undefined,
      kind === 'left',
    );
  }
  throw new TopologyError(`${operator}() takes a KStream, a KTable or a GlobalKTable built by the same StreamsBuilder, got ${other === null ? 'null' : typeof other}.`);
}
