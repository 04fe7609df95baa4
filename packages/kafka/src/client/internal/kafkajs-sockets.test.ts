import { createServer, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SocketRegistry } from './kafkajs-sockets.js';

describe('SocketRegistry', () => {
  it('destroys the sockets it opened on shutdown, and refuses new ones after', async () => {
    const accepted = new Set<Socket>();
    const server = createServer((socket) => {
      accepted.add(socket);
      socket.on('close', () => accepted.delete(socket));
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as { port: number };
    const registry = new SocketRegistry();
    const plain = await new Promise<Socket>((resolve) => {
      const socket = registry.factory({ host: '127.0.0.1', port, ssl: undefined as never, onConnect: () => resolve(socket) });
    });
    expect(registry.size).toBe(1);
    registry.shutdown();
    expect(plain.destroyed).toBe(true);
    expect(registry.size).toBe(0);
    expect(() => registry.factory({ host: '127.0.0.1', port, ssl: undefined as never, onConnect: () => {} })).toThrow(/closed/);
    const deadline = Date.now() + 2000;
    while (accepted.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(accepted.size).toBe(0);
  });
});
