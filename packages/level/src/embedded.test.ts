/**
 * LevelDB stores under the embedded runner: prepared at start, flushed at each commit,
 * checkpointed as Kafka Streams checkpoints, and reopened by a later run with the same
 * `stateDir`, data kept, after a close or a kill.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedRunner, QueryableStoreTypes, silentLogger } from '@tributary/streams';
import { clickCountApplicationId, clickCountTopology } from './test-fixtures/click-count-topology.mjs';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function stateDir(): string {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-level-embedded-'));
  directories.push(directory);
  return directory;
}

const config = { applicationId: clickCountApplicationId, logger: silentLogger };
const counts = QueryableStoreTypes.keyValueStore<string, number>();

async function run(directory: string, clicks: ReadonlyArray<readonly [string, number]>): Promise<Array<[string, number]>> {
  const runner = await EmbeddedRunner.start(clickCountTopology(), config, { stateDir: directory });
  const updates: Array<[string, number]> = [];
  runner.onRecord('counts', (record) => updates.push([record.key!.toString(), record.value!.readDoubleBE()]));
  for (const [user, time] of clicks) runner.send('clicks', Buffer.from(user), Buffer.from('/page'), { timestamp: time });
  await runner.commit();
  expect(runner.query('clicks-per-user', counts).get('ann')).toBeGreaterThan(0);
  await runner.close();
  // One update per key per commit; the cache's flush order is not part of the contract.
  return updates.sort(([left], [right]) => left.localeCompare(right));
}

describe('LevelDB stores in the embedded runner', () => {
  it('keeps counts across a restart with the same stateDir', async () => {
    const directory = stateDir();
    expect(await run(directory, [['ann', 1], ['bob', 2], ['ann', 3]])).toEqual([['ann', 2], ['bob', 1]]);
    // A second run continues from the checkpointed data, and checkpoints again on close.
    expect(await run(directory, [['ann', 4]])).toEqual([['ann', 3]]);
    expect(await run(directory, [['ann', 5], ['bob', 6]])).toEqual([['ann', 4], ['bob', 2]]);
    // The checkpoint is the next changelog offset, counted on from the last run's: 2 + 1 + 2 records.
    const checkpoint = JSON.parse(readFileSync(join(directory, 'level-embedded', '0_0', 'clicks-per-user', '.checkpoint'), 'utf8')) as { offset: number };
    expect(checkpoint.offset).toBe(5);
  });

  it('keeps what was sent after the last explicit commit: close commits', async () => {
    const directory = stateDir();
    const first = await EmbeddedRunner.start(clickCountTopology(), config, { stateDir: directory });
    first.send('clicks', Buffer.from('ann'), Buffer.from('/a'), { timestamp: 1 });
    await first.close();
    const second = await EmbeddedRunner.start(clickCountTopology(), config, { stateDir: directory });
    expect(second.query('clicks-per-user', counts).get('ann')).toBe(1);
    await second.close();
  });

  it('starts whatever its commit timer does while the stores open: a tick waits for them', async () => {
    // Opening LevelDB is asynchronous; a commit timer firing meanwhile (a 1 ms interval here, a
    // loaded machine with the default 1 s) used to start the tasks before their stores were open.
    for (let round = 0; round < 5; round++) {
      const runner = await EmbeddedRunner.start(clickCountTopology(), config, { stateDir: stateDir(), commitIntervalMs: 1 });
      await new Promise((resolve) => setTimeout(resolve, 10));
      runner.send('clicks', Buffer.from('ann'), Buffer.from('/a'), { timestamp: 1 });
      await runner.commit();
      expect(runner.query('clicks-per-user', counts).get('ann')).toBe(1);
      await runner.close();
    }
  });

  it('keeps every committed click after a kill -9, between checkpoints or during a commit', async () => {
    // The child commits 500 clicks at a time, 50 changelog records a commit, so most commits
    // write no checkpoint (10,000 records apart), and a kill lands between a flush and its
    // checkpoint or amid a commit. The store is the only copy of its data (the changelog topic
    // holds nothing): before, the reopened store found data newer than its checkpoint and wiped it.
    const directory = stateDir();
    const child = fileURLToPath(new URL('./test-fixtures/embedded-crash-counter.mjs', import.meta.url));
    let expectedAtLeast = 0;
    for (let kill = 0; kill < 4; kill++) {
      const process_ = spawn(process.execPath, [child, directory], { stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      let killScheduled = false;
      await new Promise<void>((resolve) => {
        process_.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          // Kill at a random moment once the child has committed on top of what it started from.
          if (killScheduled || !output.includes('committed')) return;
          killScheduled = true;
          setTimeout(() => process_.kill('SIGKILL'), Math.random() * 200);
        });
        process_.on('exit', () => resolve());
      });
      const lines = output.trim().split('\n');
      expect(lines[0]).toBe(`start ${expectedAtLeast}`);
      const lastCommitted = Number(lines.at(-1)!.split(' ')[1]);
      const runner = await EmbeddedRunner.start(clickCountTopology(), config, { stateDir: directory });
      const store = runner.query('clicks-per-user', counts);
      const perUser = [...store.all()].map((entry) => entry.value);
      await runner.close();
      // Every commit it printed, and at most the one it finished but was killed before printing; each user 10 clicks a commit.
      const total = perUser.reduce((sum, count) => sum + count, 0);
      expect(total === lastCommitted || total === lastCommitted + 500, `${total} clicks restored, ${lastCommitted} committed`).toBe(true);
      expect(perUser).toEqual(new Array<number>(50).fill(total / 50));
      expectedAtLeast = total;
    }
  }, 60_000);

  it('needs a stateDir, and says which option', async () => {
    await expect(EmbeddedRunner.start(clickCountTopology(), config)).rejects.toThrow(/'stateDir' is required/);
  });
});
