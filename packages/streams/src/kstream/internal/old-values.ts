/**
 * Whether a table operator forwards old values (Kafka's `sendOldValues`). Off by default, as in
 * Kafka Streams: a change's `oldValue` is then `null`, which saves a store read or a cache
 * deserialization per update, and a filter forwards a delete for a row that does not pass (it
 * cannot know whether the row passed before). An operator that needs old values (a table
 * aggregation's subtractor, `suppress`, a foreign-key join) asks its parent table while the DSL
 * builds the graph; the request travels up until an operator can answer it, a source table
 * materializing itself when the request forces it. Processors read the flag when they are
 * created, which is after the whole graph is built.
 */
export class OldValues {
  /** Whether this operator's output changes carry old values. */
  sent = false;
}

/** A table node's answer to a request for old values: whether it will send them from now on. */
export type EnableSendingOldValues = (forceMaterialization: boolean) => boolean;

/** Anything a request for old values can go up to: a table. */
export interface OldValuesParent {
  enableSendingOldValues(forceMaterialization: boolean): boolean;
}

/**
 * For an operator that computes old values from its parent's (a filter, a value mapper), or
 * reads them from its own store when it is materialized.
 */
export function oldValuesFromParentOrStore(parent: OldValuesParent, flag: OldValues, materialized: boolean): EnableSendingOldValues {
  return (forceMaterialization) => {
    if (materialized || parent.enableSendingOldValues(forceMaterialization)) flag.sent = true;
    return flag.sent;
  };
}

/** For an operator that always knows its old values (an aggregation reads its own store). */
export function oldValuesAlwaysKnown(flag: OldValues): EnableSendingOldValues {
  return () => {
    flag.sent = true;
    return true;
  };
}
