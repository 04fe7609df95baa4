/**
 * Kafka requests sent on a platformatic client's own connections, for what its public methods
 * do not give the runtime: offsets committed with their metadata (the consumer's `commit`
 * drops it, and rejoins the group to retry a commit of an old generation), a group's members
 * with their assignment user data (the admin's `describeGroups` drops it), and read_committed
 * fetches with every batch in them (the consumer's `fetch` drops committed ones, see
 * `platformatic-consumer.ts`).
 */
import { kGetApi, kGetConnection, kMetadata, type Base, type Broker, type ClusterMetadata, type MetadataOptions } from '@platformatic/kafka';
import { KafkaClientError } from '../client-error.js';

type AnyBase = Base<never, never>;
type RequestCallback = (error: Error | null, response?: unknown) => void;
type RawApi = ((connection: unknown, ...args: unknown[]) => void) & { readonly version: number };

interface ClientInternals {
  [kGetApi](name: string, callback: (error: Error | null, api?: RawApi) => void): void;
  [kGetConnection](broker: Broker, callback: (error: Error | null, connection?: unknown) => void): void;
  [kMetadata](options: MetadataOptions, callback: (error: Error | null, metadata?: ClusterMetadata) => void): void;
}

function internals(client: AnyBase | Base): ClientInternals {
  return client as unknown as ClientInternals;
}

/** The broker `nodeId` in the client's cluster metadata (refreshed when it does not know it). */
export async function brokerOf(client: AnyBase | Base, nodeId: number): Promise<Broker> {
  for (const forceUpdate of [false, true]) {
    const metadata = await new Promise<ClusterMetadata>((resolve, reject) => internals(client)[kMetadata]({ topics: [], forceUpdate }, (error, result) => (error === null && result !== undefined ? resolve(result) : reject(error ?? new Error('no metadata')))));
    const broker = metadata.brokers.get(nodeId);
    if (broker !== undefined) return broker;
  }
  throw new KafkaClientError('unavailable', `Broker ${nodeId} is not in the cluster metadata; check that it is up.`, true);
}

/** Sends the Kafka request `apiName` (at the highest version both sides speak) to `broker`. */
export function request<T>(client: AnyBase | Base, broker: Broker, apiName: string, ...args: unknown[]): Promise<T> {
  return requestAtVersion<T>(client, broker, apiName, () => args);
}

/** {@link request}, with the request's arguments built for the version it is sent at (`argsFor` is told it). */
export function requestAtVersion<T>(client: AnyBase | Base, broker: Broker, apiName: string, argsFor: (version: number) => unknown[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    internals(client)[kGetConnection](broker, (connectionError, connection) => {
      if (connectionError !== null) return reject(connectionError);
      internals(client)[kGetApi](apiName, (apiError, api) => {
        if (apiError !== null || api === undefined) return reject(apiError ?? new Error(`The brokers do not support ${apiName}`));
        const callback: RequestCallback = (error, response) => (error === null ? resolve(response as T) : reject(error));
        api(connection, ...argsFor(api.version), callback);
      });
    });
  });
}
