import { describe, expect, it } from 'vitest';
import { assignStandbys, assignTasks, decodeMemberTasks, decodeStandbyTasks, decodeSubscription, taskAssignor } from './task-assignor.js';

describe('assignTasks', () => {
  const tasks = ['0_0', '0_1', '0_2', '1_0', '1_1', '1_2'];

  it('spreads tasks evenly', () => {
    const assignment = assignTasks(['b', 'a'], tasks, new Map());
    expect(assignment.get('a')!.length).toBe(3);
    expect(assignment.get('b')!.length).toBe(3);
    expect([...assignment.values()].flat().sort()).toEqual(tasks);
  });

  it('keeps tasks with their previous owner when balanced', () => {
    const previous = new Map([['a', ['0_0', '0_1', '0_2', '1_0', '1_1', '1_2']]]);
    const assignment = assignTasks(['a', 'b'], tasks, previous);
    expect(assignment.get('a')).toEqual(['0_0', '0_1', '0_2']);
    expect(assignment.get('b')).toEqual(['1_0', '1_1', '1_2']);
  });

  it('gives a lone member every task, ignoring departed owners', () => {
    const assignment = assignTasks(['b'], tasks, new Map([['a', ['0_0']]]));
    expect(assignment.get('b')).toEqual(tasks);
  });
});

describe('assignTasks with standby replicas', () => {
  const tasks = ['0_0', '0_1', '0_2', '0_3'];

  it('moves a task to a member holding its standby when it must move', () => {
    // a held every task; c joins and holds a standby of 0_3: 0_3 moves to c, not to b.
    const previous = new Map([['a', tasks]]);
    const assignment = assignTasks(['a', 'b', 'c'], tasks, previous, new Map([['0_3', ['c']]]));
    expect(assignment.get('c')).toContain('0_3');
  });

  it('puts standbys on other instances than the active copy, sticky, and fewer when instances are few', () => {
    const active = new Map([
      ['a1', ['0_0', '0_1']],
      ['b1', ['0_2', '0_3']],
    ]);
    const processOf = new Map([
      ['a1', 'A'],
      ['b1', 'B'],
    ]);
    const standbys = assignStandbys(active, processOf, new Map(), 1);
    expect(standbys.get('a1')).toEqual(['0_2', '0_3']);
    expect(standbys.get('b1')).toEqual(['0_0', '0_1']);
    // Two instances can hold only one standby per task.
    const two = assignStandbys(active, processOf, new Map(), 2);
    expect([...two.values()].flat().sort()).toEqual(tasks);
    // Two members of one instance never hold each other's standbys.
    const sameProcess = assignStandbys(active, new Map([['a1', 'A'], ['b1', 'A']]), new Map(), 1);
    expect([...sameProcess.values()].flat()).toEqual([]);
  });

  it('keeps a standby where it was when it can', () => {
    const active = new Map([
      ['a', ['0_0']],
      ['b', []],
      ['c', []],
    ]);
    const standbys = assignStandbys(active, new Map(), new Map([['c', ['0_0']]]), 1);
    expect(standbys.get('c')).toEqual(['0_0']);
    expect(standbys.get('b')).toEqual([]);
  });

  it('reads version 1 subscriptions (a bare array of active tasks)', () => {
    expect(decodeSubscription(Buffer.from('["0_1"]'), 'm')).toEqual({ process: 'm', active: ['0_1'], standby: [] });
    expect(decodeSubscription(Buffer.from('{"process":"P","active":["0_0"],"standby":["0_2"]}'), 'm')).toEqual({ process: 'P', active: ['0_0'], standby: ['0_2'] });
    expect(decodeStandbyTasks(Buffer.from('{"active":[],"standby":["0_2"]}'))).toEqual(['0_2']);
  });

  it("carries the instance's applicationServer in the subscription, for query metadata", () => {
    const assignor = taskAssignor([], () => ({ process: 'P', active: ['0_0'], standby: [], applicationServer: 'host-1:8080' }));
    const userData = assignor.subscriptionUserData();
    expect(decodeSubscription(userData, 'm')).toEqual({ process: 'P', active: ['0_0'], standby: [], applicationServer: 'host-1:8080' });
    expect(decodeSubscription(Buffer.from('{"process":"P","active":[],"standby":[]}'), 'm')).not.toHaveProperty('applicationServer');
    expect(decodeMemberTasks(Buffer.from('{"active":["0_1"],"standby":["0_2"]}'))).toEqual({ active: ['0_1'], standby: ['0_2'] });
    expect(decodeMemberTasks(Buffer.from('["0_1"]'))).toBeUndefined();
  });
});
