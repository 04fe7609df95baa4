#!/usr/bin/env node
/**
 * `product-analytics`: the flagship example's command line. `run` (embedded by default, or on
 * Kafka), `produce` and `tail`; `--help` on each. Flags are parsed and checked in
 * `cli-options.ts`; a mistake prints the reason and the command's usage, and exits with 2.
 */
import { commandUsage, mainUsage, parseCommand, UsageError, type Command } from './cli-options.js';
import { runEmbedded, type Terminal } from './embedded.js';
import { produce, runOnKafka, tail } from './kafka-commands.js';

const terminal: Terminal = {
  write: (text) => void process.stdout.write(text),
  isTTY: process.stdout.isTTY === true,
  get columns() {
    return process.stdout.columns || 100; // 0 when the terminal reports no size
  },
};

/** Resolves at the first SIGINT or SIGTERM; a second one exits at once. */
function stopSignal(): { readonly stop: Promise<void>; readonly stopped: () => boolean } {
  let stopped = false;
  const stop = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopped) {
        process.stderr.write(`\n${signal} again: exiting without a clean stop.\n`);
        process.exit(130);
      }
      stopped = true;
      process.stderr.write(`\n${signal}: stopping cleanly (again to force)…\n`);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return { stop, stopped: () => stopped };
}

async function main(argv: readonly string[]): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`product-analytics: ${error.message}\n\n${error.command === undefined ? mainUsage : commandUsage[error.command]}`);
    return 2;
  }
  if (command.command === 'help') {
    process.stdout.write(command.topic === undefined ? mainUsage : commandUsage[command.topic]);
    return 0;
  }
  const { stop, stopped } = stopSignal();
  if (command.command === 'run') {
    if (command.bootstrapServers === undefined) await runEmbedded(command, terminal, stop);
    else await runOnKafka(command, terminal, stop);
  } else if (command.command === 'produce') {
    await produce(command, terminal, stopped);
  } else {
    await tail(command, terminal, stop);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`product-analytics: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
