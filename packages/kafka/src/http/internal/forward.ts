/**
 * Asks another instance's query server: a key read forwarded to the instance holding the key, or
 * one part of a range read fanned out over the instances holding the store. The request is marked
 * forwarded, so the other instance answers from its own stores and never forwards it again.
 */
import { request } from 'node:http';
import { hostAddress, type HostInfo } from '../../streams-metadata.js';

/** The header marking a request one instance sent another. */
export const FORWARDED_HEADER = 'x-tributary-forwarded';

/** What another instance answered. */
export interface ForwardedAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly retryAfter: string | undefined;
}

/** GETs `pathAndQuery` from `host`; rejects when it cannot be reached or does not answer within `timeoutMs`. */
export function forward(host: HostInfo, pathAndQuery: string, timeoutMs: number): Promise<ForwardedAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: host.host, port: host.port, path: pathAndQuery, method: 'GET', headers: { [FORWARDED_HEADER]: '1', accept: 'application/json' }, timeout: timeoutMs },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            reject(new Error(`${hostAddress(host)} answered ${incoming.statusCode} with a body that is not JSON`));
            return;
          }
          const retryAfter = incoming.headers['retry-after'];
          resolve({ status: incoming.statusCode ?? 502, body, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter });
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`${hostAddress(host)} did not answer within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}
