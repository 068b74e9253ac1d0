/**
 * clln's own keys beside BullMQ's (`bull:NAME:*`): which ensemble a queue belongs to, and which members the
 * coordinator has stored in its dataset folder (a count for `clln ensemble status`; the folder is the truth).
 */
export const specKey = (name: string): string => `clln:ensemble:${name}:spec`;
export const storedKey = (name: string): string => `clln:ensemble:${name}:stored`;
/** SCAN pattern of every queue's spec key, for status over a whole server. */
export const SPEC_PATTERN = 'clln:ensemble:*:spec';
export const nameOfSpecKey = (key: string): string => key.slice('clln:ensemble:'.length, -':spec'.length);

/** What the coordinator publishes under specKey: the resolved spec as a document (specDocument; workers parse it back to exactly that spec) and its digest. */
export interface PublishedSpec {
  digest: string;
  members: number;
  spec: unknown;
}
