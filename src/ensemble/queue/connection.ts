/**
 * Connections to the queue's Redis. Every command first checks that Redis answers, with one short connection that
 * neither retries nor queues commands, so that a server that is down or a wrong host ends the command within
 * CONNECT_TIMEOUT_MS with one paragraph naming the URL and the fix (exit 1), instead of ioredis's endless reconnects.
 * The long-lived BullMQ connections made after that reconnect forever (maxRetriesPerRequest null, which BullMQ's
 * Worker requires): a Redis restart in the middle of an ensemble stalls it, it does not end it.
 */
import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { CllnError } from '../../errors.js';
import type { QueueUrl } from './queueUrl.js';

/** How long the first connection may take (ms): a LAN round trip is < 1 ms, a slow VPN a few hundred. */
export const CONNECT_TIMEOUT_MS = 5000;

/** The queue's Redis cannot be reached or refused us: a failure of the run (exit 1). */
export class QueueUnreachableError extends CllnError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueueUnreachableError';
  }
}

/** BullMQ's connection options (it makes its own ioredis clients from them). */
export function redisOptions(url: QueueUrl): ConnectionOptions & { host: string; port: number } {
  return {
    host: url.host,
    port: url.port,
    username: url.username,
    password: url.password,
    ...(url.tls ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** Opens a checked connection for clln's own keys (closed by the caller with quit()). */
export async function connectChecked(url: QueueUrl): Promise<Redis> {
  const probe = new Redis({
    ...redisOptions(url),
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // ioredis also emits each failure as an 'error' event; the rejected connect() below is where it is handled
  let lastError: Error | undefined;
  probe.on('error', (e: Error) => (lastError = e));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      }),
    ]);
    const info = await probe.info('server');
    const major = Number(/redis_version:(\d+)/.exec(info)?.[1] ?? 0);
    if (major < 5) throw new Error(`Redis ${major} is too old: BullMQ needs Redis 5 or newer (streams)`);
  } catch (e) {
    probe.disconnect();
    // ioredis rejects with "Connection is closed"; the event before it says why (ECONNREFUSED, ENOTFOUND, auth)
    let why = (lastError ?? (e as Error)).message || String(e);
    // ioredis's parser meets a reply that is not RESP: something else listens there (an HTTP proxy, another service)
    if (/Unknown RESP type|Protocol error/.test(why)) why = `something answers at ${url.host}:${url.port} but it is not Redis (${why.split('.')[0]})`;
    throw new QueueUnreachableError(
      `cannot use the job queue's Redis at ${url.display}: ${why} (fix: start Redis there, e.g. 'redis-server --port ${url.port}', ` +
        `or correct the host, port and password in --queue)`,
      { cause: e },
    );
  } finally {
    clearTimeout(timer);
  }
  return probe;
}
