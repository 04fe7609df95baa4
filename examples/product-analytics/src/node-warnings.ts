/**
 * The one Node warning the CLI does not print.
 *
 * kafkajs 2.2.4, which the Kafka commands use, arms a timer of minus the current time whenever a
 * connection's request queue is idle (its throttle deadline starts at -1; tulios/kafkajs#1751,
 * open, its proposed fixes not merged), and Node 24 prints a `TimeoutNegativeWarning` for it.
 * Node runs such a timer after 1 ms, which is what kafkajs' check wants, so the line tells
 * whoever runs the CLI nothing.
 */

/** Whether `warning` is Node's report of kafkajs' idle-queue timer (see the module comment). */
export function isKafkajsIdleTimerWarning(warning: Error): boolean {
  return warning.name === 'TimeoutNegativeWarning' && warning.stack?.includes('RequestQueue.scheduleCheckPendingRequests') === true;
}

/**
 * Stops Node printing kafkajs' idle-timer warning in this process: the `warning` listeners there
 * are (Node's printer, unless `--no-warnings`) get every other warning as before. Returns a
 * function that puts them back.
 */
export function hideKafkajsIdleTimerWarning(): () => void {
  const printers = process.listeners('warning');
  for (const print of printers) process.removeListener('warning', print);
  const filter = (warning: Error): void => {
    if (isKafkajsIdleTimerWarning(warning)) return;
    for (const print of printers) print(warning);
  };
  process.on('warning', filter);
  return () => {
    process.removeListener('warning', filter);
    for (const print of printers) process.on('warning', print);
  };
}
