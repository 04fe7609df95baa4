/**
 * Why a record was dropped: the keys of every driver's dropped-record counters
 * (`TopologyTestDriver.droppedRecords()`, `EmbeddedRunner.metrics().dropped`,
 * `KafkaStreams.metrics().dropped`). No record is dropped without being counted under one of them.
 */

/**
 * Why a record was dropped. Each drop is counted, and warned about at most once per task and
 * reason every 10 s:
 * - `deserialization-error`: its bytes could not be deserialized, and the handler continued;
 * - `invalid-timestamp`: its timestamp extractor gave no usable (non-negative) time;
 * - `processing-error`: a processor threw, and the handler continued;
 * - `production-error`: an output could not be serialized or sent, and the handler continued;
 * - `null-key`, `null-value`: an operator that cannot take a null key or value (as in Kafka Streams);
 * - `late-record`: its window had closed (window end plus grace behind stream time);
 * - `expired-window`: a window or session store was written outside its retention;
 * - `suppression-buffer-full`: not counted today (a full suppression buffer emits early or shuts
 *   down, as in Kafka Streams); kept so counters stay keyed by one type.
 */
export type DropReason =
  | 'deserialization-error'
  | 'invalid-timestamp'
  | 'processing-error'
  | 'production-error'
  | 'null-key'
  | 'null-value'
  | 'late-record'
  | 'expired-window'
  | 'suppression-buffer-full';
