import { describe, expect, it } from 'vitest';
import { CommitMetadataError } from '../errors.js';
import { checkChangelogEndsFit, consistentPointOf, decodeChangelogEnds, encodeChangelogEnds, MAX_COMMIT_METADATA_BYTES } from './commit-metadata.js';

describe('commit metadata', () => {
  it('encodes changelog ends as a versioned string, topics sorted, and decodes them back', () => {
    const text = encodeChangelogEnds('0_1', new Map([['app-b-changelog', 12], ['app-a-changelog', 0]]));
    expect(text).toBe('tributary:1:{"app-a-changelog":0,"app-b-changelog":12}');
    expect(decodeChangelogEnds(text)).toEqual(new Map([['app-a-changelog', 0], ['app-b-changelog', 12]]));
  });

  it('refuses, with the fix, metadata longer than the broker takes', () => {
    const ends = new Map(Array.from({ length: 60 }, (_, index) => [`an-application-with-a-long-name-store-number-${index}-changelog`, 123456789] as const));
    const attempt = (): string => encodeChangelogEnds('3_7', ends);
    expect(attempt).toThrow(CommitMetadataError);
    expect(attempt).toThrow(/Task 3_7 .* more than the broker's default offset.metadata.max.bytes \(4096\): give its stores shorter names/);
    expect(() => encodeChangelogEnds('3_7', new Map([...ends].slice(0, 20)))).not.toThrow();
    expect(Buffer.byteLength(encodeChangelogEnds('3_7', new Map([...ends].slice(0, 20))))).toBeLessThanOrEqual(MAX_COMMIT_METADATA_BYTES);
  });

  it('checks at start that the changelog ends of every sub-topology fit, whatever the offsets (global stores excluded)', () => {
    const stores = Array.from({ length: 70 }, (_, index) => `a-store-with-a-descriptive-name-${index}`);
    const builder = (names: string[]) => ({
      subtopologies: () => [{ id: 0, stores: ['small'] }, { id: 1, stores: names }],
      changelogTopics: (applicationId: string) => new Map([...names, 'small'].map((name) => [name, `${applicationId}-${name}-changelog`])),
    });
    expect(() => checkChangelogEndsFit(builder(stores), 'shop', new Map())).toThrow(/Task 1_\* has 70 changelog topics/);
    expect(() => checkChangelogEndsFit(builder(stores), 'shop', new Map(stores.slice(20).map((name) => [name, {}])))).not.toThrow();
  });

  it('takes metadata that is not ours (none, empty, another client) as none of ours', () => {
    for (const metadata of [null, undefined, '', 'written-by-someone-else']) expect(decodeChangelogEnds(metadata)).toBeUndefined();
  });

  it('fails clearly on metadata that is ours but damaged, or of another version', () => {
    expect(() => decodeChangelogEnds('tributary:2:{}')).toThrow(/another version of Tributary/);
    for (const damaged of ['tributary:1:{', 'tributary:1:[1]', 'tributary:1:{"t":-1}', 'tributary:1:{"t":"5"}', 'tributary:1:{"t":1.5}']) {
      let caught: unknown;
      try {
        decodeChangelogEnds(damaged);
      } catch (error) {
        caught = error;
      }
      expect(caught, damaged).toBeInstanceOf(CommitMetadataError);
      expect((caught as CommitMetadataError).code).toBe('COMMIT_METADATA_INVALID');
    }
  });
});

describe('consistentPointOf', () => {
  it('is "none" when no input partition has a committed offset', () => {
    expect(consistentPointOf([])).toEqual({ kind: 'none' });
    expect(consistentPointOf([{ offset: -1, metadata: null }, { offset: -1, metadata: '' }])).toEqual({ kind: 'none' });
  });

  it('is "legacy" when offsets are committed without our metadata', () => {
    expect(consistentPointOf([{ offset: 40, metadata: '' }, { offset: -1, metadata: null }])).toEqual({ kind: 'legacy' });
  });

  it('takes the newest ends where partitions committed at different times disagree', () => {
    const point = consistentPointOf([
      { offset: 10, metadata: 'tributary:1:{"a":5,"b":7}' },
      { offset: 3, metadata: 'tributary:1:{"a":9,"b":7}' },
      { offset: 8, metadata: '' },
    ]);
    expect(point).toEqual({ kind: 'ends', ends: new Map([['a', 9], ['b', 7]]) });
  });

  it('ignores the metadata of a partition that has no committed offset', () => {
    expect(consistentPointOf([{ offset: -1, metadata: 'tributary:1:{"a":5}' }])).toEqual({ kind: 'none' });
  });
});
