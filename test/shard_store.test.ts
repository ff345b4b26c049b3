// The shard store's value format on a real LMDB environment: values are plain msgpack maps now,
// and values that earlier versions wrote as msgpackr records must still read the same.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { open } from 'lmdb';
import { Packr } from 'msgpackr';
import { shardStoreClose, shardStoreOpen } from '../src/store/shard_store.js';
import type { StoredTimelineEntry } from '../src/store/records.js';

const entry: StoredTimelineEntry = {
  kind: 'message',
  message: {
    uid: 123_456_789_012_345_678n,
    from: 'alice',
    fromDevice: 'phone',
    conversationType: 0,
    target: 'bob',
    line: 0,
    timestamp: 1_735_689_600_123,
    content: { type: 1, searchableContent: 'hello', mentionedTargets: ['bob'] },
  },
};

it('shard store: timeline values written as msgpackr records (before plain maps) read the same',
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-store-format-'));
    try {
      // The options of the earlier versions: lmdb-js's msgpackr defaults, records on.
      const before = open({ path: dir, overlappingSync: false, maxDbs: 64,
        encoder: { int64AsType: 'bigint' } });
      await before.openDB({ name: 'timeline' }).put(['alice', 1], entry);
      await before.close();

      const store = shardStoreOpen({ path: dir, mapBytes: 64 * 1024 * 1024 });
      try {
        assert.deepEqual(store.timeline.get(['alice', 1]), entry);
        await store.timeline.put(['alice', 2], entry);
        assert.deepEqual(store.timeline.get(['alice', 2]), entry);
        // New values carry no record definitions: plain msgpack any reader decodes.
        const bytes = store.timeline.getBinary(['alice', 2]);
        assert.ok(bytes !== undefined);
        const plain = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });
        assert.deepEqual(plain.unpack(Buffer.from(bytes)), entry);
        assert.notEqual(bytes[0], 0xd4, 'not a msgpackr record extension');
      } finally {
        await shardStoreClose(store);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
