/**
 * The consistent point of an at-least-once task: with each offset commit, the task's input
 * partitions carry in their commit metadata the end offset of every changelog partition of its
 * stores at that commit, as `tributary:1:{"<changelog topic>":<next offset>,...}` (the changelog
 * partition is the task's partition). A restore replays each changelog only up to that offset,
 * so a store never holds writes of records whose offsets were not committed, and rolls the rest
 * of the changelog (an uncommitted tail, partial across stores after a crash) back.
 */
import { CommitMetadataError } from '../errors.js';

const prefix = 'tributary:';
const version = 1;
const versionPrefix = `${prefix}${version}:`;

/** The broker's default `offset.metadata.max.bytes`: a longer commit metadata is refused. */
export const MAX_COMMIT_METADATA_BYTES = 4096;

/** Changelog end offsets by changelog topic (the partition is the task's). */
export type ChangelogEnds = ReadonlyMap<string, number>;

/** Encodes a task's changelog end offsets; throws when the result would not fit the broker's limit. */
export function encodeChangelogEnds(taskId: string, ends: ChangelogEnds): string {
  const entries: Record<string, number> = {};
  for (const topic of [...ends.keys()].sort()) entries[topic] = ends.get(topic)!;
  const text = `${versionPrefix}${JSON.stringify(entries)}`;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_COMMIT_METADATA_BYTES) {
    throw new CommitMetadataError(
      'COMMIT_METADATA_TOO_LARGE',
      `Task ${taskId} has ${ends.size} changelog topics whose names and offsets take ${bytes} bytes of offset-commit metadata, more than the broker's default offset.metadata.max.bytes (${MAX_COMMIT_METADATA_BYTES}): give its stores shorter names (or a shorter applicationId), or split the sub-topology.`,
    );
  }
  return text;
}

/** Throws {@link encodeChangelogEnds}' error for a sub-topology whose changelog ends could not fit, whatever the offsets. */
export function checkChangelogEndsFit(
  builder: { subtopologies(): readonly { readonly id: number; readonly stores: readonly string[] }[]; changelogTopics(applicationId: string): ReadonlyMap<string, string> },
  applicationId: string,
  globalStores: ReadonlyMap<string, unknown>,
): void {
  const changelogs = builder.changelogTopics(applicationId);
  for (const subtopology of builder.subtopologies()) {
    const ends = new Map<string, number>();
    for (const store of subtopology.stores) {
      const topic = changelogs.get(store);
      if (topic !== undefined && !globalStores.has(store)) ends.set(topic, Number.MAX_SAFE_INTEGER);
    }
    if (ends.size > 0) encodeChangelogEnds(`${subtopology.id}_*`, ends);
  }
}

/**
 * What a committed offset's metadata says: our changelog ends, or `undefined` when it is not ours
 * (empty, or written by another client or an older version). Throws on metadata that is ours but
 * unreadable or of a newer version.
 */
export function decodeChangelogEnds(metadata: string | null | undefined): Map<string, number> | undefined {
  if (metadata === null || metadata === undefined || !metadata.startsWith(prefix)) return undefined;
  if (!metadata.startsWith(versionPrefix)) {
    throw new CommitMetadataError(
      'COMMIT_METADATA_INVALID',
      `Committed offset metadata '${metadata.slice(0, 40)}' was written by another version of Tributary than this one (format ${version}): run the version that wrote it, or a newer one.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata.slice(versionPrefix.length));
  } catch (error) {
    throw invalid(metadata, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid(metadata);
  const ends = new Map<string, number>();
  for (const [topic, offset] of Object.entries(parsed)) {
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw invalid(metadata);
    ends.set(topic, offset as number);
  }
  return ends;
}

function invalid(metadata: string, options?: { cause: unknown }): CommitMetadataError {
  return new CommitMetadataError(
    'COMMIT_METADATA_INVALID',
    `Committed offset metadata '${metadata.slice(0, 80)}' starts like Tributary's but cannot be read: it was damaged or written by another client. Reset the application's offsets (kafka-streams-application-reset) to start it over.`,
    options,
  );
}

/**
 * The consistent point of a task from the committed offsets of its input partitions: the
 * changelog ends of its newest commit. Every commit carries them on each partition it commits,
 * and ends only grow, so where partitions disagree (one was committed later than another) the
 * largest end of each changelog is the newest.
 *
 * - `{ kind: 'none' }`: no input partition has a committed offset; state as of nothing committed.
 * - `{ kind: 'legacy' }`: committed offsets without our metadata (an older version wrote them).
 * - `{ kind: 'ends', ends }`: restore each changelog up to its end.
 */
export type ConsistentPoint = { readonly kind: 'none' } | { readonly kind: 'legacy' } | { readonly kind: 'ends'; readonly ends: Map<string, number> };

/** One input partition's committed offset (`-1` or less: none) and metadata. */
export interface CommittedInput {
  readonly offset: number;
  readonly metadata: string | null | undefined;
}

export function consistentPointOf(committed: readonly CommittedInput[]): ConsistentPoint {
  let ends: Map<string, number> | undefined;
  let anyCommitted = false;
  for (const input of committed) {
    if (input.offset < 0) continue;
    anyCommitted = true;
    const decoded = decodeChangelogEnds(input.metadata);
    if (decoded === undefined) continue;
    ends ??= new Map();
    for (const [topic, offset] of decoded) ends.set(topic, Math.max(ends.get(topic) ?? 0, offset));
  }
  if (ends !== undefined) return { kind: 'ends', ends };
  return anyCommitted ? { kind: 'legacy' } : { kind: 'none' };
}
