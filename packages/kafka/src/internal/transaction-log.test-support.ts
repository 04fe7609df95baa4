/**
 * The brute-force model behind the read_committed oracle tests of both clients' filters
 * (`read-committed.test.ts` for kafkajs, `platformatic-records.test.ts` for @platformatic/kafka):
 * one partition's log of random transactions, what a read_committed consumer must deliver from
 * it, and what the broker answers a fetch with. Each test builds its client's own batches from
 * {@link LogBatch}es and runs its own filter over the responses.
 *
 * The log: a few producers' transactions, interleaved, committed or aborted, a producer's next
 * transaction after its marker; plain records; and bare markers, an end with no transaction open,
 * as a transaction that added the partition and wrote nothing to it leaves (a kill between the
 * two). The broker lists no aborted transaction for a bare marker, since it indexes only
 * transactions with records in the partition, and lists the others in the order of their markers,
 * as its transaction index keeps them.
 */
import fc from 'fast-check';

/** One step of the log: a producer appends a batch (in its transaction, opening one), ends its transaction, or a plain batch. */
export type LogStep = { readonly kind: 'append'; readonly producer: number; readonly count: number } | { readonly kind: 'end'; readonly producer: number; readonly commit: boolean } | { readonly kind: 'plain'; readonly count: number };

export const logSteps: fc.Arbitrary<LogStep[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('append' as const), producer: fc.integer({ min: 1, max: 3 }), count: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant('end' as const), producer: fc.integer({ min: 1, max: 3 }), commit: fc.boolean() }),
    fc.record({ kind: fc.constant('plain' as const), count: fc.integer({ min: 1, max: 2 }) }),
  ),
  { minLength: 1, maxLength: 40 },
);

/**
 * A log every oracle test also runs, read from offset 0 in a response of all five batches: one
 * producer's aborted, committed and bare-aborted transactions. @platformatic/kafka 2.12.1's own
 * filter drops the committed record; random logs meet this shape only now and then.
 */
export const committedBeforeBareMarker: [LogStep[], number, number[]] = [
  [
    { kind: 'append', producer: 1, count: 1 },
    { kind: 'end', producer: 1, commit: false },
    { kind: 'append', producer: 1, count: 1 },
    { kind: 'end', producer: 1, commit: true },
    { kind: 'end', producer: 1, commit: false },
  ],
  0,
  [5],
];

/**
 * How many batches each response holds, taken in turn: up to 12, so that a response holds several
 * transactions of one producer (see {@link committedBeforeBareMarker}).
 */
export const responseSizes: fc.Arbitrary<number[]> = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 60 });

/** A batch of the log: records of a producer's transaction, plain records (`producer` undefined), or a marker. */
export interface LogBatch {
  readonly firstOffset: number;
  readonly count: number;
  readonly producer: number | undefined;
  readonly marker?: 'commit' | 'abort';
}

interface Transaction {
  readonly producer: number;
  readonly firstOffset: number;
  committed?: boolean;
  markerOffset?: number;
}

export class TransactionLog {
  readonly batches: LogBatch[] = [];
  /** The offsets a read_committed consumer delivers, in order: plain records and committed transactions' records. */
  readonly committed: number[];
  /** The offset after the last batch. */
  end = 0;
  private readonly aborted: Transaction[];

  constructor(steps: readonly LogStep[]) {
    const transactions: Transaction[] = [];
    const open = new Map<number, Transaction>();
    const inTransaction = new Map<LogBatch, Transaction>();
    const add = (batch: LogBatch): void => {
      this.batches.push(batch);
      this.end += batch.count;
    };
    const end = (producer: number, commit: boolean): void => {
      const transaction = open.get(producer);
      open.delete(producer);
      if (transaction !== undefined) {
        transaction.committed = commit;
        transaction.markerOffset = this.end;
      }
      add({ firstOffset: this.end, count: 1, producer, marker: commit ? 'commit' : 'abort' });
    };
    for (const step of steps) {
      if (step.kind === 'plain') add({ firstOffset: this.end, count: step.count, producer: undefined });
      else if (step.kind === 'end') end(step.producer, step.commit);
      else {
        let transaction = open.get(step.producer);
        if (transaction === undefined) {
          transaction = { producer: step.producer, firstOffset: this.end };
          open.set(step.producer, transaction);
          transactions.push(transaction);
        }
        const batch: LogBatch = { firstOffset: this.end, count: step.count, producer: step.producer };
        inTransaction.set(batch, transaction);
        add(batch);
      }
    }
    // Every transaction ends (the last stable offset is the log's end).
    for (const producer of [...open.keys()]) end(producer, false);
    this.committed = this.batches.flatMap((batch) =>
      batch.marker !== undefined || inTransaction.get(batch)?.committed === false ? [] : Array.from({ length: batch.count }, (_, index) => batch.firstOffset + index),
    );
    this.aborted = transactions.filter((transaction) => transaction.committed === false).sort((a, b) => a.markerOffset! - b.markerOffset!);
  }

  /** The batches answering a fetch from `position`, as indexes into {@link batches}: the one holding it and up to `size - 1` after it. */
  response(position: number, size: number): { readonly first: number; readonly end: number } {
    const first = this.batches.findIndex((batch) => batch.firstOffset + batch.count - 1 >= position);
    return { first, end: Math.min(first + size, this.batches.length) };
  }

  /** The aborted transactions the broker lists for a fetch from `position` whose response ends at offset `last`, in the order of their markers. */
  listed(position: number, last: number): { readonly producer: number; readonly firstOffset: number }[] {
    return this.aborted
      .filter((transaction) => transaction.markerOffset! >= position && transaction.firstOffset <= last)
      .map(({ producer, firstOffset }) => ({ producer, firstOffset }));
  }
}
