import { describe, expect, it } from 'vitest';
import { assignTasks } from './task-assignor.js';

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
