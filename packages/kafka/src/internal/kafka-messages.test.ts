import { describe, expect, it } from 'vitest';
import { BARE_VALUE_HEADER } from '@tributary/streams';
import { changelogRecord, consumedRecord } from './kafka-messages.js';
import type { FetchedRecord } from '../client/kafka-client.js';

function message(fields: { key?: Buffer | null; value?: Buffer | null; headers?: FetchedRecord['headers'] }): FetchedRecord {
  return { key: Buffer.from('k'), value: Buffer.from('v'), timestamp: '1700000000123', offset: '42', headers: {}, ...fields };
}

describe('fetched records as engine records', () => {
  it('reads offsets and timestamps as numbers and headers in order, with none when the client gives none', () => {
    const record = consumedRecord('in', 3, message({ headers: { trace: Buffer.from('a'), tags: [Buffer.from('x'), 'y'] } }));
    expect(record).toMatchObject({ topic: 'in', partition: 3, offset: 42, timestamp: 1_700_000_000_123, key: Buffer.from('k'), value: Buffer.from('v') });
    expect(record.headers.toArray().map((header) => [header.key, Buffer.from(header.value!).toString()])).toEqual([
      ['trace', 'a'],
      ['tags', 'x'],
      ['tags', 'y'],
    ]);
    expect(consumedRecord('in', 0, message({ headers: undefined, key: null, value: null })).headers.toArray()).toEqual([]);
  });

  it('makes changelog records with their timestamp, tombstones and the bare-value header', () => {
    expect(changelogRecord(Buffer.from('k'), message({ value: null }))).toEqual({ key: Buffer.from('k'), value: null, timestamp: 1_700_000_000_123, bareValue: false });
    expect(changelogRecord(Buffer.from('k'), message({ headers: { [BARE_VALUE_HEADER]: Buffer.from('1') } })).bareValue).toBe(true);
  });
});
