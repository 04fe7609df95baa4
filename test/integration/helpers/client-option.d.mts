import type { KafkaClientSupplier } from '@tributary/kafka';

/** Which client library the run tests: `TRIBUTARY_CLIENT`; anything else is an error, never a silent default. */
export declare const clientName: 'kafkajs' | 'platformatic';

/** The `KafkaStreams` option that puts an application on the client under test (see client-option.mjs). */
export declare function clientOption(bootstrapServers: string, clientId: string): { readonly client?: KafkaClientSupplier };

/** A thread module's `createOptions()`: each worker thread's own client under test (see client-option.mjs). */
export declare function createThreadOptions(context: { readonly threadIndex: number; readonly options: { readonly bootstrapServers: string; readonly applicationId: string } }): {
  readonly client?: KafkaClientSupplier;
};
