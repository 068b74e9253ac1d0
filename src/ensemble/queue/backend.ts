/**
 * The one seam between the queue and the ensemble modules (issue 16's fixed contract): everything under
 * src/ensemble/queue imports the spec, runMember and the dataset folder's store from here only, so that the queue
 * runs exactly the members, and writes exactly the dataset, of a local run.
 */
export { type EnsembleSpec, readEnsembleSpec, parseEnsembleSpec, memberCount, specDigest, specDocument } from '../EnsembleSpec.js';
export { type MemberResult, memberSeeds, runMember } from '../runMember.js';
export { storeMember, storeFailedMember, storedMembers, readMember } from '../memberStore.js';
export { assembleDataset, openDatasetDir, readDataset } from '../dataset.js';
// the local pool's worker thread (memberWorker.ts) also runs the queue worker's members: one thread script, one
// message protocol
export { workerScript } from '../pool.js';
export type { FromWorker, ToWorker } from '../memberWorker.js';
