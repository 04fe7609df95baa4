// A child process for the crash-consistency test: writes generation g to every key of a LevelDB
// key-value store, flushes, checkpoints offset g, and repeats until killed. After any kill the
// store must hold one generation on every key, equal to its checkpoint, or be wiped.
import { Serdes, Stores, silentLogger } from '@tributary/streams';
import { LevelStores } from '@tributary/level';

const [stateDir, keyCountText] = process.argv.slice(2);
const keyCount = Number(keyCountText);
const supplier = LevelStores.persistentKeyValueStore('crash-store', { syncOnCommit: false });
const context = {
  applicationId: 'crash-app',
  taskId: { subtopology: 0, partition: 0 },
  appConfigs: {},
  stateDir,
  logger: silentLogger,
  currentStreamTimeMs: () => 0,
  changelogTopic: (name) => `crash-app-${name}-changelog`,
  logChange: () => {},
  recordDropped: () => {},
};
const handle = await supplier.prepare(context);
const store = Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.String()).withLoggingDisabled().build();
store.init(context);
const padding = 'x'.repeat(100);
for (let generation = (handle.checkpointOffset() ?? 0) + 1; ; generation++) {
  for (let key = 0; key < keyCount; key++) store.put(`key-${key}`, `${generation}:${padding}`);
  store.flush();
  await handle.writeCheckpoint(generation);
  process.stdout.write(`${generation}\n`);
}
