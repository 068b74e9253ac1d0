/**
 * `clln ensemble status --queue URL`: per queue, the BullMQ job counts and how many members the coordinator has
 * stored. With a URL without NAME, every clln ensemble queue on that Redis.
 */
import { Queue } from 'bullmq';
import { connectChecked, redisOptions } from './connection.js';
import { nameOfSpecKey, type PublishedSpec, SPEC_PATTERN, specKey, storedKey } from './keys.js';
import type { QueueUrl } from './queueUrl.js';

export interface QueueStatus {
  queue: string;
  digest: string | null;
  members: number | null;
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  stored: number;
}

export async function queueStatus(url: QueueUrl): Promise<QueueStatus[]> {
  const redis = await connectChecked(url);
  try {
    let names: string[];
    if (url.name) names = [url.name];
    else {
      names = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', SPEC_PATTERN, 'COUNT', 1000);
        cursor = next;
        names.push(...keys.map(nameOfSpecKey));
      } while (cursor !== '0');
      names.sort();
    }
    const out: QueueStatus[] = [];
    for (const name of names) {
      const raw = await redis.get(specKey(name));
      const pub = raw === null ? null : (JSON.parse(raw) as PublishedSpec);
      const queue = new Queue(name, { connection: redisOptions(url) });
      try {
        const c = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
        out.push({
          queue: name,
          digest: pub?.digest ?? null,
          members: pub?.members ?? null,
          waiting: c.waiting + c.prioritized,
          active: c.active,
          delayed: c.delayed,
          completed: c.completed,
          failed: c.failed,
          stored: await redis.scard(storedKey(name)),
        });
      } finally {
        await queue.close();
      }
    }
    return out;
  } finally {
    redis.disconnect();
  }
}

/** Removes a queue's jobs and clln's keys (`--remove`): the dataset folder is untouched. */
export async function removeQueue(url: QueueUrl): Promise<void> {
  const redis = await connectChecked(url);
  const queue = new Queue(url.name!, { connection: redisOptions(url) });
  try {
    await queue.obliterate({ force: true });
    await redis.del(specKey(url.name!), storedKey(url.name!));
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
