import { describe, expect, it } from 'vitest';
import { clientErrorIn } from '../client-error.js';
import { DispatchLanes } from './dispatch-lanes.js';

/** Sends that wait until the test answers them, each noted (with its lane and name) when the lanes hand it on. */
function heldSends() {
  const started: { lane: number; name: string; answer: () => void; fail: (error: Error) => void }[] = [];
  const send =
    (lane: number, name: string) =>
    (): Promise<string> =>
      new Promise((resolve, reject) => started.push({ lane, name, answer: () => resolve(name), fail: reject }));
  return { started, send };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('DispatchLanes', () => {
  it('hands a lane at most its number of sends at once, in the order they came, each lane on its own', async () => {
    const lanes = new DispatchLanes(2, undefined);
    const { started, send } = heldSends();
    const results = ['a', 'b', 'c', 'd'].map((name) => lanes.dispatch(0, send(0, name)));
    results.push(lanes.dispatch(1, send(1, 'x')));
    const settled = Promise.allSettled(results);
    expect(started.map(({ name }) => name)).toEqual(['a', 'b', 'x']);
    started[1]!.answer();
    await settle();
    expect(started.map(({ name }) => name)).toEqual(['a', 'b', 'x', 'c']);
    started[0]!.fail(new Error('refused'));
    await settle();
    expect(started.map(({ name }) => name)).toEqual(['a', 'b', 'x', 'c', 'd']);
    for (const entry of started.slice(2)) entry.answer();
    const outcomes = await settled;
    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).message))).toEqual(['refused', 'b', 'c', 'd', 'x']);
  });

  it('hands nothing on once the gate closes: the sends queued behind one in flight fail as group-fenced and never start', async () => {
    let open = true;
    const lanes = new DispatchLanes(1, () => open);
    const { started, send } = heldSends();
    const first = lanes.dispatch(0, send(0, 'first'));
    const queued = [lanes.dispatch(0, send(0, 'second')), lanes.dispatch(0, send(0, 'third'))];
    expect(started.map(({ name }) => name)).toEqual(['first']);
    // The process was stopped past its session timeout while 'first' was in flight; its answer comes after.
    open = false;
    started[0]!.answer();
    expect(await first).toBe('first');
    for (const outcome of await Promise.allSettled(queued)) {
      expect(outcome.status).toBe('rejected');
      expect(clientErrorIn((outcome as PromiseRejectedResult).reason)?.kind).toBe('group-fenced');
    }
    await expect(lanes.dispatch(0, send(0, 'later'))).rejects.toMatchObject({ kind: 'group-fenced' });
    expect(started.map(({ name }) => name)).toEqual(['first']);
  });

  it('frees the slot of a send that throws before it returns a promise', async () => {
    const lanes = new DispatchLanes(1, () => true);
    const { started, send } = heldSends();
    const broken = lanes.dispatch(0, () => {
      throw new Error('encoding failed');
    });
    const next = lanes.dispatch(0, send(0, 'next'));
    await expect(broken).rejects.toThrow('encoding failed');
    await settle();
    expect(started.map(({ name }) => name)).toEqual(['next']);
    started[0]!.answer();
    expect(await next).toBe('next');
  });
});
