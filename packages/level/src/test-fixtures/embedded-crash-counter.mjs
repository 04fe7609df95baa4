// A child process for the embedded runner's crash test: counts clicks per user in a LevelDB
// store, sending 500 clicks (10 for each of 50 users) and committing, over and over until
// killed, and prints the total it started from and then the total after each commit. The
// commit timer is off, so only those commits flush the store. The topology and application id
// are embedded.test.ts's, which reopens the state after each kill.
import { EmbeddedRunner, QueryableStoreTypes, silentLogger } from '@tributary/streams';
import { clickCountApplicationId, clickCountTopology } from './click-count-topology.mjs';

const [stateDir] = process.argv.slice(2);
const runner = await EmbeddedRunner.start(clickCountTopology(), { applicationId: clickCountApplicationId, logger: silentLogger }, { stateDir, commitIntervalMs: 3_600_000 });
let total = 0;
for (const { value } of runner.query('clicks-per-user', QueryableStoreTypes.keyValueStore()).all()) total += value;
process.stdout.write(`start ${total}\n`);
for (;;) {
  for (let click = 0; click < 500; click++) runner.send('clicks', Buffer.from(`user-${click % 50}`), Buffer.from('/page'), { timestamp: 1_000 + total + click });
  await runner.commit();
  total += 500;
  process.stdout.write(`committed ${total}\n`);
}
