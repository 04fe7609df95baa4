/**
 * `@tributary/streams/test`: run topologies in unit tests, with no broker.
 *
 * @packageDocumentation
 * @module @tributary/streams/test
 */
export { TopologyTestDriver } from './topology-test-driver.js';
export type { TopologyTestDriverOptions, TestDriverConfig } from './topology-test-driver.js';
export { TestInputTopic } from './test-input-topic.js';
export type { InputTopicOptions } from './test-input-topic.js';
export { TestOutputTopic } from './test-output-topic.js';
export { TestRecord } from './test-record.js';
