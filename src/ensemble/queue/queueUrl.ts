/**
 * `redis://[USER[:PASSWORD]@]HOST[:PORT][/NAME]` (or `rediss://` for TLS): where the job queue lives and its name. The
 * path is the BullMQ queue name (one ensemble per name), not Redis's database number as in other Redis URLs: the
 * queue's keys are `bull:NAME:*` plus clln's `clln:ensemble:NAME:*`, so several ensembles share one Redis.
 */
import { InvalidInputError, show } from '../../errors.js';

export interface QueueUrl {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** The queue name, or undefined when the URL names only the server (allowed where `needName` is false). */
  name?: string;
  /** The URL without its password, for messages. */
  display: string;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const FORM = 'redis://HOST:PORT/NAME (NAME: 1 to 64 letters, digits, _ . -)';

export function parseQueueUrl(text: string, needName = true, source = '--queue'): QueueUrl {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new InvalidInputError({ source }, `not a URL: ${show(text)}`, `write ${FORM}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new InvalidInputError({ source }, `the scheme must be redis: or rediss:, got ${show(u.protocol)}`, `write ${FORM}`);
  }
  if (!u.hostname) throw new InvalidInputError({ source }, `no host in ${show(text)}`, `write ${FORM}`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const path = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (path !== '' && !NAME.test(path)) {
    throw new InvalidInputError({ source }, `the queue name ${show(path)} is not 1 to 64 letters, digits, _ . -`, `write ${FORM}`);
  }
  if (path === '' && needName) throw new InvalidInputError({ source }, `no queue name in ${show(text)}`, `write ${FORM}`);
  if (u.search || u.hash) throw new InvalidInputError({ source }, `unexpected ${show(u.search || u.hash)} in the URL`, `write ${FORM}`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const display = `${u.protocol}//${u.username ? decodeURIComponent(u.username) + '@' : ''}${u.hostname}:${port}${path ? '/' + path : ''}`;
  return {
    host,
    port,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    tls: u.protocol === 'rediss:',
    name: path === '' ? undefined : path,
    display,
  };
}
