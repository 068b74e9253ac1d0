/**
 * The one seam between the queue and helper E1's ensemble modules (issue 16's fixed contract). Everything under
 * src/ensemble/queue imports the spec, runMember and the dataset folder's store from here only.
 * AT MERGE: replace the line below by
 *   export { type EnsembleSpec, readEnsembleSpec, parseEnsembleSpec, memberCount, specDigest } from '../EnsembleSpec.js';
 *   export { type MemberResult, runMember } from '../runMember.js';
 *   export { storeMember, storedMembers, readMember } from '../memberStore.js';
 *   export { assembleDataset } from '../dataset.js';
 * and delete standIn.ts.
 */
export {
  type EnsembleSpec,
  type MemberResult,
  readEnsembleSpec,
  parseEnsembleSpec,
  memberCount,
  specDigest,
  runMember,
  storeMember,
  storedMembers,
  readMember,
  assembleDataset,
} from './standIn.js';
