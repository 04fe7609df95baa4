/** Picks an operator's serde or the config's default when an internal processor serializes itself. */
import { TopologyError } from '../../errors/streams-error.js';
import { internalContext } from '../../processor/internal/task-context.js';
import type { Serde } from '../../serde/serde.js';

export function resolveSerde<T>(context: unknown, own: Serde<T> | undefined, part: 'key' | 'value', what: string): Serde<T> {
  const config = internalContext(context).config;
  const serde = own ?? (part === 'key' ? config.defaultKeySerde : config.defaultValueSerde);
  if (serde === undefined) {
    throw new TopologyError(`${what} has no ${part} serde: give one in the operator's options, or set default${part === 'key' ? 'Key' : 'Value'}Serde in the streams config.`);
  }
  return serde as Serde<T>;
}
