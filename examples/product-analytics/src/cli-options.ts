/**
 * The `product-analytics` command line: each command's flags, their help, and the checks that
 * turn argv into a validated command (or a {@link UsageError} naming the flag that is wrong).
 * Pure, so the tests exercise every flag without starting anything.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ProcessingGuarantee } from '@tributary/kafka';

/** A mistake on the command line; the CLI prints its message and the command's usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose usage to print, when known. */
    readonly command?: CommandName,
  ) {
    super(message);
  }
}

const commandNames = ['run', 'produce', 'tail'] as const;
export type CommandName = (typeof commandNames)[number];

export const defaultStateDir = '.scratch/product-analytics';
const defaultApplicationId = 'product-analytics';
const tailTopics = ['product-analytics', 'category-analytics', 'product-alerts'] as const;

const kafkaClientNames = ['kafkajs', 'platformatic'] as const;
/** The Kafka clients `run --client` takes. */
type KafkaClientName = (typeof kafkaClientNames)[number];

/** What `run --processing-guarantee` takes: `KafkaStreams`' `processingGuarantee` values. */
const processingGuarantees = ['at_least_once', 'exactly_once', 'exactly_once_v2'] as const satisfies readonly ProcessingGuarantee[];

/** `run`: embedded (no broker) or on Kafka. */
export interface RunCommand {
  readonly command: 'run';
  readonly bootstrapServers: string | undefined;
  readonly applicationId: string;
  readonly stateDir: string;
  readonly rate: number;
  /** Seconds; undefined runs until Ctrl-C (or until `events` have been sent). */
  readonly duration: number | undefined;
  readonly events: number | undefined;
  readonly seed: number;
  readonly partitions: number;
  readonly emitFinalOnly: boolean;
  /**
   * Kafka: `--processing-guarantee` (`--exactly-once` is `exactly_once`); `at_least_once` by
   * default. `exactly_once_v2` needs `--client platformatic`: on kafkajs, `KafkaStreams` refuses it.
   */
  readonly processingGuarantee: ProcessingGuarantee;
  /** Kafka: the client library the application runs on (`kafkajs`, or `platformatic` for @tributary/kafka/platformatic). */
  readonly client: KafkaClientName;
  /** `--http`: where to serve the web dashboard (port 0: any free port); undefined serves none. */
  readonly http: HttpAddress | undefined;
  /** Kafka: the `host:port` other instances reach this one's dashboard and queries at (`applicationServer`); defaults to `http`'s. */
  readonly applicationServer: string | undefined;
}

/** An interface and port to listen on. */
export interface HttpAddress {
  /** An IPv4 or IPv6 address (without brackets) or a host name. */
  readonly host: string;
  /** 0 to 65535; 0 picks a free port. */
  readonly port: number;
}

/** `produce`: generated data into Kafka. */
export interface ProduceCommand {
  readonly command: 'produce';
  readonly bootstrapServers: string;
  readonly rate: number;
  readonly events: number;
  readonly seed: number;
  readonly partitions: number;
}

/** `tail`: the output topics, printed readably. */
export interface TailCommand {
  readonly command: 'tail';
  readonly bootstrapServers: string;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  /** Stop after this many records; undefined tails until Ctrl-C. */
  readonly max: number | undefined;
}

export type Command = RunCommand | ProduceCommand | TailCommand | { readonly command: 'help'; readonly topic: CommandName | undefined };

const shared = {
  help: { type: 'boolean', short: 'h' },
} as const;

const flags = {
  run: {
    ...shared,
    'bootstrap-servers': { type: 'string', short: 'b' },
    'application-id': { type: 'string' },
    'state-dir': { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    events: { type: 'string' },
    seed: { type: 'string' },
    partitions: { type: 'string' },
    'final-only': { type: 'boolean' },
    'exactly-once': { type: 'boolean' },
    'processing-guarantee': { type: 'string' },
    client: { type: 'string' },
    http: { type: 'string' },
    'application-server': { type: 'string' },
  },
  produce: {
    ...shared,
    'bootstrap-servers': { type: 'string', short: 'b' },
    rate: { type: 'string' },
    events: { type: 'string' },
    seed: { type: 'string' },
    partitions: { type: 'string' },
  },
  tail: {
    ...shared,
    'bootstrap-servers': { type: 'string', short: 'b' },
    topics: { type: 'string' },
    'from-beginning': { type: 'boolean' },
    max: { type: 'string' },
  },
} as const satisfies Record<CommandName, ParseArgsConfig['options']>;

/** The top-level help. */
export const mainUsage = `product-analytics: real-time product and category analytics on Tributary.

Usage: product-analytics <command> [flags]

Commands:
  run       Run the analytics. With no broker: embedded, fed by the built-in generator,
            with a live view. With --bootstrap-servers: as a KafkaStreams app.
  produce   Write generated events and catalog changes to Kafka.
  tail      Print the analytics, category and alert topics readably.

Run 'product-analytics <command> --help' for a command's flags.
`;

/** Each command's help. */
export const commandUsage: Record<CommandName, string> = {
  run: `Usage: product-analytics run [flags]

Without --bootstrap-servers, runs embedded: the generator feeds the topology in this process
(EmbeddedRunner, LevelDB stores) and the terminal shows top products and categories in the
current window, alerts as they fire, throughput and dead-letter counts. Plain lines when
stdout is not a terminal. Ctrl-C (or SIGTERM) commits and stops.

Flags:
  -b, --bootstrap-servers host:port  Run on Kafka instead (reads product-events, product-catalog)
      --application-id id            Kafka application id (default ${defaultApplicationId})
      --state-dir dir                Where the stores live (default ${defaultStateDir})
      --rate n                       Embedded: generated events per second (default 2000)
      --duration s                   Stop after s seconds (on Kafka: of RUNNING), committing
                                     first (default: until Ctrl-C)
      --events n                     Embedded: stop after n events
      --seed n                       Embedded: generator seed (default: from the clock)
      --partitions n                 Kafka: partitions of topics created if missing (default 3)
      --final-only                   Emit one final result per window instead of every update
      --processing-guarantee g       Kafka: at_least_once (default), exactly_once (a transaction
                                     per task) or exactly_once_v2 (one transaction per stream
                                     thread; needs --client platformatic)
      --exactly-once                 Kafka: the same as --processing-guarantee exactly_once
      --client kafkajs|platformatic  Kafka: the client library (default kafkajs; platformatic
                                     is @platformatic/kafka, on Node >= 22.22)
      --http [host:]port             Serve the live web dashboard there (default host 127.0.0.1;
                                     port 0 picks a free one and prints it)
      --application-server host:port Kafka: the address other instances reach this one's
                                     dashboard at (default: the --http address)
  -h, --help                         This help
`,
  produce: `Usage: product-analytics produce --bootstrap-servers host:port [flags]

Writes the generator's events and catalog changes (skewed popularity, sessions walking the
funnel, out-of-order, duplicate and a few malformed events; Debezium and plain catalog
upserts, deletes) to product-events and product-catalog, creating them if missing.
Idempotent producer; a progress bar (plain lines when stdout is not a terminal).

Flags:
  -b, --bootstrap-servers host:port  The broker (required)
      --rate n                       Events per second (default 2000)
      --events n                     How many events (default 100000)
      --seed n                       Generator seed (default 42)
      --partitions n                 Partitions of topics created (default 3)
  -h, --help                         This help
`,
  tail: `Usage: product-analytics tail --bootstrap-servers host:port [flags]

Reads the output topics and prints each record on one line.

Flags:
  -b, --bootstrap-servers host:port  The broker (required)
      --topics a,b                   Topics to read (default ${tailTopics.join(',')})
      --from-beginning               Start at the earliest records (default: new ones only)
      --max n                        Stop after n records
  -h, --help                         This help
`,
};

function positiveInteger(flag: string, text: string | undefined, command: CommandName): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${flag} must be a whole number >= 1, got '${text}'.`, command);
  }
  return Number(text);
}

function positiveNumber(flag: string, text: string | undefined, command: CommandName): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new UsageError(`--${flag} must be a number > 0, got '${text}'.`, command);
  return value;
}

function seedOf(text: string | undefined, fallback: number, command: CommandName): number {
  if (text === undefined) return fallback;
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`--seed must be an integer, got '${text}'.`, command);
  return Number(text);
}

function bootstrap(text: string | undefined, command: CommandName, required: boolean): string | undefined {
  if (text === undefined) {
    if (required) throw new UsageError(`--bootstrap-servers host:port is required for '${command}'.`, command);
    return undefined;
  }
  for (const server of text.split(',')) {
    if (!/^[^\s:,]+:\d{1,5}$/.test(server.trim())) throw new UsageError(`--bootstrap-servers must be host:port[,host:port...], got '${text}'.`, command);
  }
  return text;
}

const wildcardHosts = new Set(['0.0.0.0', '::', '[::]']);

/**
 * `--http`'s `[host:]port` (an IPv6 host in brackets, `[::1]:8080`); a bare port listens on
 * 127.0.0.1, so nothing outside this machine reaches the dashboard unless asked to.
 */
function parseHttpAddress(text: string, flag = 'http'): HttpAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+):)?(\d{1,5})$/.exec(text.trim());
  const port = match === null ? Number.NaN : Number(match[2]);
  if (match === null || port > 65535) {
    throw new UsageError(`--${flag} must be [host:]port with a port from 0 to 65535, such as 127.0.0.1:8080 or 8080 (0 picks a free port), got '${text}'.`, 'run');
  }
  const host = match[1] ?? '127.0.0.1';
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
}

/** `run`'s guarantee: `--processing-guarantee`, or `exactly_once` for `--exactly-once`, which may name the same one only. */
function guaranteeOf(text: string | undefined, exactlyOnce: boolean, onKafka: boolean): ProcessingGuarantee {
  if (text === undefined) return exactlyOnce ? 'exactly_once' : 'at_least_once';
  if (!(processingGuarantees as readonly string[]).includes(text)) throw new UsageError(`--processing-guarantee must be ${processingGuarantees.join(', ')}, got '${text}'.`, 'run');
  if (!onKafka) throw new UsageError('--processing-guarantee applies on Kafka only (with --bootstrap-servers); the embedded run has no transactions to use.', 'run');
  if (exactlyOnce && text !== 'exactly_once') throw new UsageError(`--exactly-once means --processing-guarantee exactly_once, which contradicts --processing-guarantee ${text}: give one of them.`, 'run');
  return text as ProcessingGuarantee;
}

/** Turns argv (without `node` and the script) into a validated command; throws {@link UsageError}. */
export function parseCommand(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic !== undefined && !(commandNames as readonly string[]).includes(topic)) throw new UsageError(`Unknown command '${topic}'; the commands are ${commandNames.join(', ')}.`);
    return { command: 'help', topic: topic as CommandName | undefined };
  }
  if (!(commandNames as readonly string[]).includes(name)) throw new UsageError(`Unknown command '${name}'; the commands are ${commandNames.join(', ')}.`);
  const command = name as CommandName;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...rest], options: flags[command], strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    // parseArgs' messages name the flag; drop its advice about '--' which does not apply here.
    const message = error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '.') : String(error);
    throw new UsageError(message, command);
  }
  if (values['help'] === true) return { command: 'help', topic: command };
  const text = (flag: string) => values[flag] as string | undefined;

  if (command === 'run') {
    const bootstrapServers = bootstrap(text('bootstrap-servers'), command, false);
    const events = positiveInteger('events', text('events'), command);
    if (bootstrapServers !== undefined) {
      for (const flag of ['rate', 'events', 'seed']) {
        if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to the embedded run only; on Kafka, the input comes from 'product-analytics produce'.`, command);
      }
    }
    if (bootstrapServers === undefined && values['exactly-once'] === true) {
      throw new UsageError("--exactly-once applies on Kafka only (with --bootstrap-servers); the embedded run has no transactions to use.", command);
    }
    const processingGuarantee = guaranteeOf(text('processing-guarantee'), values['exactly-once'] === true, bootstrapServers !== undefined);
    const client = text('client') ?? 'kafkajs';
    if (!(kafkaClientNames as readonly string[]).includes(client)) throw new UsageError(`--client must be ${kafkaClientNames.join(' or ')}, got '${client}'.`, command);
    if (bootstrapServers === undefined && text('client') !== undefined) throw new UsageError('--client applies on Kafka only (with --bootstrap-servers).', command);
    const applicationId = text('application-id') ?? defaultApplicationId;
    if (!/^[a-zA-Z0-9._-]+$/.test(applicationId)) throw new UsageError(`--application-id may hold letters, digits, '.', '_' and '-' only, got '${applicationId}'.`, command);
    const stateDir = text('state-dir') ?? defaultStateDir;
    if (stateDir.trim() === '') throw new UsageError('--state-dir must not be empty.', command);
    const http = text('http') === undefined ? undefined : parseHttpAddress(text('http')!);
    const applicationServer = text('application-server');
    if (applicationServer !== undefined) {
      if (bootstrapServers === undefined || http === undefined) throw new UsageError('--application-server applies on Kafka with --http only: it is the address other instances forward dashboard queries to.', command);
      const advertised = parseHttpAddress(applicationServer, 'application-server');
      if (!/:\d+$/.test(applicationServer) || advertised.port === 0 || wildcardHosts.has(advertised.host)) {
        throw new UsageError(`--application-server must be host:port with a host other instances can connect to and a port above 0, got '${applicationServer}'.`, command);
      }
    } else if (bootstrapServers !== undefined && http !== undefined && wildcardHosts.has(http.host)) {
      throw new UsageError(`--http ${text('http')} listens on every interface, and other instances cannot connect to ${http.host}: give --application-server host:port, the address they reach this one at.`, command);
    }
    return {
      command,
      bootstrapServers,
      applicationId,
      stateDir,
      rate: positiveNumber('rate', text('rate'), command) ?? 2000,
      duration: positiveNumber('duration', text('duration'), command),
      events,
      seed: seedOf(text('seed'), Date.now() % 1_000_000, command),
      partitions: positiveInteger('partitions', text('partitions'), command) ?? 3,
      emitFinalOnly: values['final-only'] === true,
      processingGuarantee,
      client: client as KafkaClientName,
      http,
      applicationServer,
    };
  }
  if (command === 'produce') {
    return {
      command,
      bootstrapServers: bootstrap(text('bootstrap-servers'), command, true)!,
      rate: positiveNumber('rate', text('rate'), command) ?? 2000,
      events: positiveInteger('events', text('events'), command) ?? 100_000,
      seed: seedOf(text('seed'), 42, command),
      partitions: positiveInteger('partitions', text('partitions'), command) ?? 3,
    };
  }
  const topics = (text('topics') ?? tailTopics.join(',')).split(',').map((topic) => topic.trim());
  for (const topic of topics) {
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) throw new UsageError(`--topics must be a comma-separated list of topic names, got '${text('topics')}'.`, command);
  }
  return {
    command,
    bootstrapServers: bootstrap(text('bootstrap-servers'), command, true)!,
    topics,
    fromBeginning: values['from-beginning'] === true,
    max: positiveInteger('max', text('max'), command),
  };
}
