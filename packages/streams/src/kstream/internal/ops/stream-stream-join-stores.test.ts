import { describe, expect, it } from 'vitest';
import { Headers } from '../../../processor/headers.js';
import { Serdes } from '../../../serde/serdes.js';
import { parkedValuesSerde } from './stream-stream-join-stores.js';

const serde = parkedValuesSerde(Serdes.String(), Serdes.Int32());
const headers = new Headers();

describe('outer-join store values', () => {
  it("are Kafka Streams 3.9's ListSerde of LeftOrRightValue entries", () => {
    // Bytes Kafka's TopologyTestDriver logged for one left value "60" (flag 1, count 1, length 3, side 1, "60").
    expect(serde.serialize('t', { leftSide: true, values: ['60'] }, headers).toString('hex')).toBe('01' + '00000001' + '00000003' + '01' + '3630');
    const right = serde.serialize('t', { leftSide: false, values: [7, 8] }, headers);
    expect(right.toString('hex')).toBe('01' + '00000002' + '00000005' + '00' + '00000007' + '00000005' + '00' + '00000008');
    expect(serde.deserialize('t', right, headers)).toEqual({ leftSide: false, values: [7, 8] });
    expect(serde.deserialize('t', serde.serialize('t', { leftSide: true, values: ['a', ''] }, headers), headers)).toEqual({ leftSide: true, values: ['a', ''] });
  });

  it("read Tributary's earlier layout, without side bytes in the entries", () => {
    const earlierLeft = Buffer.from('01' + '00000002' + '00000002' + '3630' + '00000001' + '61', 'hex');
    expect(serde.deserialize('t', earlierLeft, headers)).toEqual({ leftSide: true, values: ['60', 'a'] });
    const earlierRight = Buffer.from('00' + '00000001' + '00000004' + '00000007', 'hex');
    expect(serde.deserialize('t', earlierRight, headers)).toEqual({ leftSide: false, values: [7] });
  });
});
