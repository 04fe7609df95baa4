/**
 * The interactive-queries test application, run as its own process so a test can kill it with
 * SIGKILL: iq-topology.mjs's counts, run with `applicationServer` 127.0.0.1:<port> and the HTTP
 * query server of @tributary/kafka/http on that port.
 *
 * Usage: node iq-app.mjs '<config JSON>'. The config: { bootstrap, applicationId, topics: { input },
 * stateDir, port, numStreamThreads?, consumer?, commitIntervalMs? }. Events as app-process.mjs
 * describes, and {"event":"listening","port":...} once the query server listens.
 */
import { KafkaStreams } from '@tributary/kafka';
import { createQueryServer } from '@tributary/kafka/http';
import { describeError, emit, readConfig, runApp, streamsOptions } from './app-process.mjs';
import { buildTopology } from './iq-topology.mjs';

const config = readConfig('iq-app.mjs', ['bootstrap', 'applicationId'], ['input']);
process.env.IQ_INPUT_TOPIC = config.topics.input;

runApp(() => {
  const threads = config.numStreamThreads ?? 1;
  const app = new KafkaStreams(buildTopology(config.topics.input), {
    ...streamsOptions(config),
    applicationServer: `127.0.0.1:${config.port}`,
    numStreamThreads: threads,
    ...(threads > 1 ? { threadModule: new URL('./iq-topology.mjs', import.meta.url) } : {}),
  });
  const server = createQueryServer(app);
  server.listen().then(
    (address) => emit({ event: 'listening', port: address.port }),
    (error) => emit({ event: 'fatal', phase: 'listen', message: describeError(error) }),
  );
  return app;
});
