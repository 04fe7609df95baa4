import { describe, expect, it } from 'vitest';
import { TaskCorruptedError } from '../errors.js';
import { errorFromSnapshot, snapshotError } from './worker-messages.js';

describe('worker messages', () => {
  it('carries an error across postMessage with its name, message, code and stack', () => {
    const original = new TaskCorruptedError('Task 0_1 could not commit its transaction: timeout.', '0_1');
    const snapshot = structuredClone(snapshotError(original));
    expect(snapshot).toEqual({ name: 'TaskCorruptedError', message: original.message, code: 'TASK_CORRUPTED', stack: original.stack });
    const rebuilt = errorFromSnapshot(snapshot);
    expect(rebuilt).toBeInstanceOf(Error);
    expect(rebuilt).toMatchObject({ name: 'TaskCorruptedError', message: original.message, code: 'TASK_CORRUPTED', stack: original.stack });
  });

  it('carries a thrown value that is no error as its text, without code or stack', () => {
    expect(snapshotError('disk full')).toEqual({ name: 'Error', message: 'disk full', code: undefined, stack: undefined });
    const rebuilt = errorFromSnapshot(snapshotError(42));
    expect(rebuilt.message).toBe('42');
    expect((rebuilt as { code?: unknown }).code).toBeUndefined();
    expect(rebuilt.stack).toContain('42');
  });
});
