import { describe, expect, it } from 'vitest';
import { IllegalStateError } from '../../errors.js';
import { ThreadStateMachine, type ThreadState } from './thread-state.js';

const ALL: readonly ThreadState[] = ['CREATED', 'STARTING', 'PARTITIONS_REVOKED', 'PARTITIONS_ASSIGNED', 'RUNNING', 'PENDING_SHUTDOWN', 'DEAD'];

/** Kafka 3.9's `StreamThread.State`, written as its enum does: each state's allowed next states by ordinal. */
const KAFKA_NEXT: readonly (readonly number[])[] = [[1, 5], [2, 3, 5], [2, 3, 5], [2, 3, 4, 5], [2, 3, 4, 5], [6], []];

/** A machine walked to `state` along allowed moves, with the moves it reported. */
function machineIn(state: ThreadState): { machine: ThreadStateMachine; moves: string[] } {
  const moves: string[] = [];
  const machine = new ThreadStateMachine('app-StreamThread-1', (next, previous) => void moves.push(`${previous}>${next}`));
  const path: Record<ThreadState, readonly ThreadState[]> = {
    CREATED: [],
    STARTING: ['STARTING'],
    PARTITIONS_REVOKED: ['STARTING', 'PARTITIONS_REVOKED'],
    PARTITIONS_ASSIGNED: ['STARTING', 'PARTITIONS_ASSIGNED'],
    RUNNING: ['STARTING', 'PARTITIONS_ASSIGNED', 'RUNNING'],
    PENDING_SHUTDOWN: ['PENDING_SHUTDOWN'],
    DEAD: ['PENDING_SHUTDOWN', 'DEAD'],
  };
  for (const step of path[state]) machine.transitionTo(step);
  moves.length = 0;
  return { machine, moves };
}

describe('ThreadStateMachine', () => {
  it('allows exactly the moves Kafka Streams allows, and reports each to its listener', () => {
    for (const [from, fromState] of ALL.entries()) {
      for (const [to, toState] of ALL.entries()) {
        const { machine, moves } = machineIn(fromState);
        const allowed = KAFKA_NEXT[from]!.includes(to);
        if (allowed) {
          machine.transitionTo(toState);
          expect(machine.state, `${fromState} to ${toState}`).toBe(toState);
          expect(moves).toEqual([`${fromState}>${toState}`]);
        } else {
          expect(() => machine.transitionTo(toState), `${fromState} to ${toState}`).toThrow(IllegalStateError);
          expect(machine.state).toBe(fromState);
          expect(moves).toEqual([]);
        }
      }
    }
  });

  it('says an illegal move is a bug, with the thread and both states', () => {
    const { machine } = machineIn('PARTITIONS_REVOKED');
    let thrown: unknown;
    try {
      machine.transitionTo('RUNNING');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(IllegalStateError);
    expect((thrown as IllegalStateError).code).toBe('ILLEGAL_STATE');
    expect((thrown as Error).message).toMatch(/^Stream thread app-StreamThread-1 cannot move from PARTITIONS_REVOKED to RUNNING\. This is a bug/);
  });

  it('is active until its shutdown begins', () => {
    expect(ALL.filter((state) => machineIn(state).machine.isActive)).toEqual(['CREATED', 'STARTING', 'PARTITIONS_REVOKED', 'PARTITIONS_ASSIGNED', 'RUNNING']);
  });

  it('keeps the first failure, moving to PENDING_SHUTDOWN once, and ends DEAD', () => {
    const { machine, moves } = machineIn('RUNNING');
    expect(machine.fail(new Error('first'))).toBe(true);
    expect(machine.fail(new Error('second'))).toBe(false);
    expect(machine.failed).toBe(true);
    expect(machine.beginShutdown()).toBe(false);
    machine.completeShutdown();
    machine.completeShutdown();
    expect(moves).toEqual(['RUNNING>PENDING_SHUTDOWN', 'PENDING_SHUTDOWN>DEAD']);
  });

  it('marks a thread that fails while closing as failed without a second move', () => {
    const { machine, moves } = machineIn('RUNNING');
    expect(machine.beginShutdown()).toBe(true);
    expect(machine.fail(new Error('while closing'))).toBe(true);
    expect(machine.failed).toBe(true);
    expect(moves).toEqual(['RUNNING>PENDING_SHUTDOWN']);
  });
});
