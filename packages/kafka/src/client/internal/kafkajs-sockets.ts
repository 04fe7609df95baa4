/**
 * Every socket an application's kafkajs clients open goes through one registry, so that
 * `close()` can end them all. kafkajs cannot cancel a connection attempt in progress: a client
 * whose connect is retrying keeps reconnecting (and the process alive) after its owner gave up
 * on it. Once the registry is shut, its open sockets are destroyed and new ones are refused at
 * once, so such a retry fails fast instead of waiting on a broker that never answers.
 */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { ISocketFactory } from 'kafkajs';

/** kafkajs' own keep-alive delay for broker connections. */
const KEEP_ALIVE_DELAY_MS = 60_000;

/** The sockets kafkajs would open by itself: TCP, or TLS with the `ssl` options. */
const defaultSocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket: Socket = ssl
    ? connectTls({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...(ssl as object) }, onConnect)
    : connectTcp({ host, port }, onConnect);
  socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
  return socket;
};

export class SocketRegistry {
  private readonly open = new Set<Socket>();
  private shut = false;

  /** Wraps `inner` (the application's own `kafka.socketFactory`, or kafkajs' default). */
  constructor(private readonly inner: ISocketFactory = defaultSocketFactory) {}

  /** The factory to hand kafkajs. */
  readonly factory: ISocketFactory = (args) => {
    if (this.shut) throw new Error('the application is closed');
    const socket = this.inner(args);
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    return socket;
  };

  /** How many sockets are open. */
  get size(): number {
    return this.open.size;
  }

  /** Destroys the open sockets and refuses new ones from now on. */
  shutdown(): void {
    this.shut = true;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }
}
