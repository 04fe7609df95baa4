/**
 * Interactive queries across instances on the real broker: three application processes (one with
 * two stream threads), each with `applicationServer` and the HTTP query server. Every key, asked
 * through every instance, gives the same (known) count; then one instance is killed with
 * SIGKILL and, while its tasks move, every answer is either that same count or a 503, never a
 * 404 or another number (and a whole-store read the whole store or a 503); afterwards every key
 * answers again through the survivors.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { bootstrapServers, createTopics, inputProducer, kafkaClient, uniqueTopic } from './helpers/kafka.js';
import { createAppCluster, sleep, type AppConfig } from './smoke/smoke-cluster.js';

interface IqAppConfig extends AppConfig {
  readonly bootstrap: string;
  readonly applicationId: string;
  readonly topics: { readonly input: string };
  readonly port?: number;
  readonly numStreamThreads?: number;
  readonly commitIntervalMs: number;
  readonly consumer: { readonly sessionTimeoutMs: number; readonly heartbeatIntervalMs: number };
}

/** Ports free a moment ago. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: bound } = server.address() as { port: number };
        server.close(() => resolve(bound));
      });
    });
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

interface Answer {
  readonly status: number;
  readonly body: any;
}

async function get(port: number, path: string): Promise<Answer> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(15_000) });
    return { status: response.status, body: await response.json() };
  } catch (error) {
    // The killed instance's own port refuses connections; callers ask only live instances.
    return { status: 0, body: { error: String(error) } };
  }
}

describe('interactive queries across three instances', () => {
  it('answers every key the same through every instance, and never wrongly while a killed instance’s tasks move', async () => {
    const kafka = kafkaClient();
    const input = uniqueTopic('iq-clicks');
    await createTopics(kafka, [{ topic: input, numPartitions: 6 }]);
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const expected = new Map<string, number>();
    const messages: { key: string; value: string; timestamp: string }[] = [];
    for (let index = 0; index < 48; index++) {
      const key = `user-${index}`;
      expected.set(key, (index % 4) + 1);
      for (let copy = 0; copy <= index % 4; copy++) messages.push({ key, value: 'click', timestamp: String(hour + index * 1000 + copy) });
    }
    const producer = inputProducer(kafka);
    await producer.connect();
    await producer.send({ topic: input, messages });
    await producer.disconnect();

    const [portA, portB, portC] = await freePorts(3);
    const ports: Record<string, number> = { a: portA!, b: portB!, c: portC! };
    const cluster = await createAppCluster<IqAppConfig>(
      kafka,
      { bootstrap: bootstrapServers(), applicationId: uniqueTopic('iq-app'), topics: { input }, commitIntervalMs: 200, consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 } },
      { script: 'iq-app.mjs', files: ['iq-topology.mjs'], progressTopic: input },
    );
    cluster.start('a', { port: ports.a });
    cluster.start('b', { port: ports.b, numStreamThreads: 2 });
    cluster.start('c', { port: ports.c });
    await cluster.waitRunning(120_000);

    /** One pass over every key through one instance: each answer's status and count. */
    const sweep = async (port: number): Promise<{ key: string; status: number; value: unknown }[]> =>
      Promise.all([...expected.keys()].map(async (key) => {
        const answer = await get(port, `/stores/counts/keys/${key}`);
        return { key, status: answer.status, value: answer.body?.value };
      }));
    const correct = (answers: { key: string; status: number; value: unknown }[]): boolean => answers.every((answer) => answer.status === 200 && answer.value === expected.get(answer.key));

    // The instances converge: every key through every instance, the known count.
    const deadline = Date.now() + 120_000;
    while (!(await Promise.all(Object.values(ports).map(async (port) => correct(await sweep(port))))).every(Boolean)) {
      if (Date.now() > deadline) throw new Error(`The instances did not all answer every key within 120 s: ${JSON.stringify((await sweep(ports.a!)).filter((answer) => answer.status !== 200 || answer.value !== expected.get(answer.key)).slice(0, 5))}`);
      await sleep(500);
    }
    for (const [name, port] of Object.entries(ports)) {
      for (const answer of await sweep(port)) expect({ name, ...answer }).toEqual({ name, key: answer.key, status: 200, value: expected.get(answer.key) });
      // Windowed fetches and whole-store reads, through every instance too.
      const hourly = await get(port, `/stores/hourly/keys/user-7?from=${hour}&to=${hour}`);
      expect(hourly).toEqual({ status: 200, body: { store: 'hourly', key: 'user-7', windows: [{ start: hour, value: 4 }], truncated: false } });
      const all = await get(port, '/stores/counts/all?limit=1000');
      expect(all.status).toBe(200);
      expect(new Map(all.body.entries.map((entry: { key: string; value: number }) => [entry.key, entry.value]))).toEqual(expected);
      const bounded = await get(port, '/stores/counts/all');
      expect(bounded.body).toMatchObject({ truncated: false });
      expect((await get(port, '/stores/counts/all?limit=10')).body).toMatchObject({ truncated: true, entries: expect.any(Array) });
      expect((await get(port, '/stores/counts/keys/nobody')).status).toBe(404);
      expect((await get(port, '/stores/nothing/keys/user-1')).status).toBe(404);
    }
    const metadata = await get(ports.a!, '/metadata');
    expect(metadata.body.instances.map((instance: { hostInfo: { port: number } }) => instance.hostInfo.port).sort()).toEqual(Object.values(ports).sort());
    const partitions = metadata.body.instances.flatMap((instance: { topicPartitions: { partition: number }[] }) => instance.topicPartitions.map((entry) => entry.partition));
    expect(partitions.sort()).toEqual([0, 1, 2, 3, 4, 5]);

    // What a key read costs, answered where it lands or forwarded once (sequential, this loaded machine).
    const timings = { local: [] as number[], forwarded: [] as number[] };
    for (let round = 0; round < 4; round++) {
      for (const key of expected.keys()) {
        const owner = (await get(ports.a!, `/metadata/stores/counts/keys/${key}`)).body.activeHost.port;
        const started = performance.now();
        expect((await get(ports.a!, `/stores/counts/keys/${key}`)).status).toBe(200);
        (owner === ports.a ? timings.local : timings.forwarded).push(performance.now() - started);
      }
    }
    const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? Number.NaN;
    console.log(`IQ key reads through one instance: median ${median(timings.local).toFixed(2)} ms answered there (${timings.local.length}), ${median(timings.forwarded).toFixed(2)} ms forwarded (${timings.forwarded.length})`);

    // Offsets and changelogs of everything above are committed (every 200 ms) before the kill.
    await sleep(1500);
    const killedAt = Date.now();
    await cluster.kill('c');
    const survivors = [ports.a!, ports.b!];
    const tally = { ok: 0, unavailable: 0, sweeps: 0 };
    let recoveredAt: number | undefined;
    const moveDeadline = Date.now() + 120_000;
    while (recoveredAt === undefined) {
      if (Date.now() > moveDeadline) throw new Error(`The survivors did not answer every key within 120 s of the kill: ${JSON.stringify(tally)}`);
      let allCorrect = true;
      for (const port of survivors) {
        // A whole-store read is the whole store or a 503, never a list missing the moving tasks' keys.
        const all = await get(port, '/stores/counts/all?limit=1000');
        if (all.status === 200) expect(new Map(all.body.entries.map((entry: { key: string; value: number }) => [entry.key, entry.value]))).toEqual(expected);
        else expect(all.status).toBe(503);
        const answers = await sweep(port);
        tally.sweeps++;
        for (const answer of answers) {
          // While the tasks move: the right count or 503, nothing else (no 404, no other number).
          if (answer.status === 503) {
            tally.unavailable++;
            allCorrect = false;
            continue;
          }
          expect({ port, ...answer }).toEqual({ port, key: answer.key, status: 200, value: expected.get(answer.key) });
          tally.ok++;
        }
      }
      if (allCorrect && cluster.process('a').state === 'RUNNING' && cluster.process('b').state === 'RUNNING') recoveredAt = Date.now();
      else await sleep(200);
    }
    console.log(`IQ kill -9: every key answered again through both survivors ${recoveredAt - killedAt} ms after the kill; ${tally.sweeps} sweeps, ${tally.ok} right answers, ${tally.unavailable} 503s, no wrong ones`);
    const after = await get(ports.a!, '/metadata');
    expect(after.body.instances.map((instance: { hostInfo: { port: number } }) => instance.hostInfo.port).sort()).toEqual([ports.a, ports.b].sort());
    for (const port of survivors) {
      const all = await get(port, '/stores/counts/all?limit=1000');
      expect(new Map(all.body.entries.map((entry: { key: string; value: number }) => [entry.key, entry.value]))).toEqual(expected);
    }
    await cluster.closeAll();
  }, 420_000);
});
