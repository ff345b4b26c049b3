import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PullPage } from '../src/client/decode_answers.js';
import { InboxSync } from '../src/client/inbox_sync.js';
import type { ReceivedMessage } from '../src/client/types.js';

function entry(seq: number | undefined, uid: number): ReceivedMessage {
  return {
    seq,
    messageUid: String(uid),
    from: 'a',
    conversationType: 0,
    target: 'b',
    line: 0,
    timestamp: 0,
    content: {
      type: 1, searchableContent: `m${uid}`, pushContent: '', content: '', binaryContent: '',
      mediaType: 0, remoteMediaUrl: '', mentionedType: 0, mentionedTargets: [], extra: '',
    },
  };
}

/** Waits for `check` (at most 2 s): a fixed sleep raced the fake's setImmediate under load. */
async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 2_000;
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** A fake inbox of seqs 1..head answering pulls of `pageSize` entries, like the server. */
class FakeInbox {
  head: number;
  pulls: number[] = [];
  inFlight = 0;
  inFlightMax = 0;
  withSeq = true;
  failNext = false;
  /** Called inside each pull, before it answers (to inject notifies). */
  during: () => void = () => undefined;

  constructor(head: number, private readonly pageSize: number) {
    this.head = head;
  }

  async pull(fromSeq: number): Promise<PullPage> {
    this.pulls.push(fromSeq);
    this.inFlight += 1;
    this.inFlightMax = Math.max(this.inFlightMax, this.inFlight);
    // The page is cut when the request arrives; the answer travels back while more may happen.
    const messages: ReceivedMessage[] = [];
    for (let seq = Math.max(fromSeq, 1); seq <= this.head; seq++) {
      if (messages.length === this.pageSize) break;
      messages.push(entry(this.withSeq ? seq : undefined, 1000 + seq));
    }
    const current = messages.length === 0 ? 0 : fromSeq + messages.length - 1;
    const page = { current, head: this.head, messages };
    await new Promise((resolve) => setImmediate(resolve));
    this.during();
    this.inFlight -= 1;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('pull failed');
    }
    return page;
  }
}

function syncOf(inbox: FakeInbox, lastSeq: number, errors: unknown[] = []) {
  const delivered: string[] = [];
  const sync = new InboxSync({
    pull: (fromSeq) => inbox.pull(fromSeq),
    deliver: (m) => delivered.push(m.messageUid),
    onError: (err) => errors.push(err),
  }, lastSeq);
  return { sync, delivered };
}

test('inbox sync: pulls page after page from lastSeq + 1 to the head, in order', async () => {
  const inbox = new FakeInbox(7, 3);
  const { sync, delivered } = syncOf(inbox, 2);
  await sync.sync();
  assert.deepEqual(inbox.pulls, [3, 6]);
  assert.deepEqual(delivered, ['1003', '1004', '1005', '1006', '1007']);
  assert.equal(sync.lastSeq, 7);
});

test('inbox sync: entries at or below lastSeq are never delivered twice', async () => {
  const inbox = new FakeInbox(5, 10);
  const { sync, delivered } = syncOf(inbox, 0);
  // A server that ignores the requested start and returns everything again.
  const pull = inbox.pull.bind(inbox);
  inbox.pull = (_fromSeq: number) => pull(1);
  await sync.sync();
  await sync.sync();
  assert.deepEqual(delivered, ['1001', '1002', '1003', '1004', '1005']);
});

test('inbox sync: a notify during a pull adds one round, never a concurrent pull', async () => {
  const inbox = new FakeInbox(2, 10);
  const { sync, delivered } = syncOf(inbox, 0);
  let notified = false;
  inbox.during = () => {
    if (notified) return;
    notified = true;
    inbox.head = 4;
    sync.notify(4, 0);
    sync.notify(4, 0);
  };
  await sync.sync();
  assert.equal(inbox.inFlightMax, 1);
  assert.deepEqual(delivered, ['1001', '1002', '1003', '1004']);
  assert.deepEqual(inbox.pulls, [1, 3]);
});

test('inbox sync: a notify already covered by the page in flight pulls nothing more', async () => {
  const inbox = new FakeInbox(4, 10);
  const { sync, delivered } = syncOf(inbox, 0);
  inbox.during = () => sync.notify(4, 0);
  await sync.sync();
  assert.deepEqual(inbox.pulls, [1]);
  assert.equal(delivered.length, 4);
});

test('inbox sync: sync() during a pull joins it and forces one more round', async () => {
  const inbox = new FakeInbox(2, 10);
  const { sync } = syncOf(inbox, 0);
  let joined: Promise<void> | null = null;
  inbox.during = () => {
    joined ??= sync.sync();
  };
  const first = sync.sync();
  await first;
  assert.equal(joined, first);
  assert.deepEqual(inbox.pulls, [1, 3]);
});

test('inbox sync: a notify at or below lastSeq pulls nothing', async () => {
  const inbox = new FakeInbox(3, 10);
  const { sync } = syncOf(inbox, 3);
  sync.notify(3, 0);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(inbox.pulls, []);
});

test('inbox sync: compat entries without seq advance lastSeq by the page current', async () => {
  const inbox = new FakeInbox(5, 2);
  inbox.withSeq = false;
  const { sync, delivered } = syncOf(inbox, 1);
  await sync.sync();
  assert.deepEqual(inbox.pulls, [2, 4]);
  assert.deepEqual(delivered, ['1002', '1003', '1004', '1005']);
  assert.equal(sync.lastSeq, 5);
});

test('inbox sync: an empty page below the head ends the round (no spin)', async () => {
  const inbox = new FakeInbox(0, 10);
  inbox.head = 0;
  const { sync } = syncOf(inbox, 0);
  const pull = inbox.pull.bind(inbox);
  inbox.pull = async (fromSeq: number) => ({ ...(await pull(fromSeq)), head: 9 });
  await sync.sync();
  assert.equal(inbox.pulls.length, 1);
  assert.equal(sync.head, 9);
});

test('inbox sync: a failed pull rejects sync() or is reported; the next sync resumes', async () => {
  const inbox = new FakeInbox(3, 10);
  const errors: unknown[] = [];
  const { sync, delivered } = syncOf(inbox, 0, errors);
  inbox.failNext = true;
  await assert.rejects(sync.sync(), /pull failed/);
  inbox.failNext = true;
  sync.notify(3, 0);
  await until(() => errors.length >= 1);
  assert.equal(errors.length, 1);
  await sync.sync();
  assert.deepEqual(delivered, ['1001', '1002', '1003']);
});

test('inbox sync: inline entries that follow lastSeq are delivered without a pull', async () => {
  const inbox = new FakeInbox(5, 10);
  const { sync, delivered } = syncOf(inbox, 3);
  sync.notify(5, 0, [entry(4, 1004), entry(5, 1005)]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(inbox.pulls, []);
  assert.deepEqual(delivered, ['1004', '1005']);
  assert.equal(sync.lastSeq, 5);
});

test('inbox sync: inline entries after a gap are not delivered; the gap is pulled', async () => {
  const inbox = new FakeInbox(6, 10);
  const { sync, delivered } = syncOf(inbox, 3);
  sync.notify(6, 0, [entry(6, 1006)]);
  await until(() => delivered.length >= 3);
  assert.deepEqual(inbox.pulls, [4]);
  assert.deepEqual(delivered, ['1004', '1005', '1006']);
});

test('inbox sync: inline entries during a pull go round once more, never twice', async () => {
  const inbox = new FakeInbox(2, 10);
  const { sync, delivered } = syncOf(inbox, 0);
  inbox.during = () => {
    if (inbox.head !== 2) return;
    inbox.head = 3;
    sync.notify(3, 0, [entry(3, 1003)]);
  };
  await sync.sync();
  assert.deepEqual(delivered, ['1001', '1002', '1003']);
  assert.deepEqual(inbox.pulls, [1, 3]);
});

test('inbox sync: inline entries short of a higher known head pull the rest', async () => {
  const inbox = new FakeInbox(6, 10);
  const { sync, delivered } = syncOf(inbox, 3);
  sync.headNote(6, 0);
  sync.notify(4, 0, [entry(4, 1004)]);
  await until(() => delivered.length >= 3);
  assert.deepEqual(delivered, ['1004', '1005', '1006']);
  assert.deepEqual(inbox.pulls, [5]);
});
