/**
 * What table processors forward to each other: a row's new value and the value it replaces, so
 * a downstream aggregation can subtract the old and add the new. `null` means absent.
 */
export interface Change<V> {
  readonly newValue: V | null;
  readonly oldValue: V | null;
}

export function change<V>(newValue: V | null, oldValue: V | null): Change<V> {
  return { newValue, oldValue };
}
