/**
 * Sends held in the adapter, not in the client library, while they wait their turn, so each is
 * handed on only once the thread may still send (`ProducerConfig.mayDispatch`).
 *
 * A client library queues a send it cannot put on the wire yet: kafkajs holds an idempotent
 * producer's requests to a broker to one at a time, @platformatic/kafka an idempotent producer's
 * requests on a connection to one as well.
 * A commit's flush hands it every partition's request at once, so most of them wait there. When
 * the process is stopped past its session timeout (frozen, starved) in the middle of that flush,
 * the group gives its tasks to another member, which restores them and writes on; once the process
 * runs again, the library sends every waiting request as soon as the one before it is answered,
 * before the thread sees how long it was stopped. Under at-least-once nothing fences those late
 * writes: they land in the changelogs after the new owner's, and the next restore of those tasks
 * takes the stale values as the latest (the smoke zombie test saw a quarter of its keys
 * under-counted so). Here each lane lets at most `perLane` sends into the library, as many as it
 * would put on the wire at once, and asks the gate before each: a send it refuses, and those
 * queued behind it, fail as `'group-fenced'`, and nothing of them reaches the brokers.
 */
import { stoppedThreadError } from '../client-error.js';

interface Lane {
  inFlight: number;
  readonly waiting: (() => void)[];
}

export class DispatchLanes {
  private readonly lanes = new Map<number, Lane>();

  /**
   * @param perLane How many sends of one lane the client library takes at once (it would queue more).
   * @param mayDispatch Asked before each send is handed on; `undefined` hands every send on.
   */
  constructor(
    private readonly perLane: number,
    private readonly mayDispatch: (() => boolean) | undefined,
  ) {}

  /** Runs `send` in `lane` once fewer than `perLane` of the lane's sends are in flight, and only if the gate allows it then. */
  dispatch<T>(lane: number, send: () => Promise<T>): Promise<T> {
    let state = this.lanes.get(lane);
    if (state === undefined) {
      state = { inFlight: 0, waiting: [] };
      this.lanes.set(lane, state);
    }
    const entered = state;
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        if (this.mayDispatch !== undefined && !this.mayDispatch()) {
          reject(stoppedThreadError());
          return;
        }
        entered.inFlight++;
        let sending: Promise<T>;
        try {
          sending = send();
        } catch (error) {
          sending = Promise.reject(error);
        }
        sending.then(resolve, reject).finally(() => {
          entered.inFlight--;
          this.next(entered);
        });
      };
      if (entered.inFlight < this.perLane && entered.waiting.length === 0) start();
      else entered.waiting.push(start);
    });
  }

  /** Starts the lane's waiting sends while it has room (a refused one takes none). */
  private next(lane: Lane): void {
    while (lane.inFlight < this.perLane && lane.waiting.length > 0) lane.waiting.shift()!();
  }
}
