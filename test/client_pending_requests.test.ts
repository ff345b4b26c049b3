import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../src/errors.js';
import { MagpieError } from '../src/client/client_error.js';
import { PendingRequests } from '../src/client/pending_requests.js';

const SIGNAL_ANSWER = 10;
const TIMEOUT_LONG_MS = 60_000;

function started<T>(value: ReturnType<PendingRequests<T>['start']>) {
  assert.ok(!(value instanceof MagpieError), 'start succeeded');
  return value;
}

test('pending requests: settle resolves the request with that id', async () => {
  const pending = new PendingRequests<string>(4, TIMEOUT_LONG_MS);
  const a = started(pending.start(SIGNAL_ANSWER));
  const b = started(pending.start(SIGNAL_ANSWER));
  assert.notEqual(a.id, b.id);
  assert.equal(pending.settle(b.id, SIGNAL_ANSWER, 'b'), true);
  assert.equal(await b.answer, 'b');
  assert.equal(pending.size, 1);
  pending.rejectAll(new MagpieError('closed', ErrorCode.NOT_CONNECTED, 'end'));
  await assert.rejects(a.answer, MagpieError);
});

test('pending requests: another signal or an unknown id settles nothing', async () => {
  const pending = new PendingRequests<string>(4, TIMEOUT_LONG_MS);
  const a = started(pending.start(SIGNAL_ANSWER));
  assert.equal(pending.settle(a.id, SIGNAL_ANSWER + 1, 'x'), false);
  assert.equal(pending.settle(a.id + 1, SIGNAL_ANSWER, 'x'), false);
  assert.equal(pending.size, 1);
  assert.equal(pending.settle(a.id, SIGNAL_ANSWER, 'a'), true);
  assert.equal(await a.answer, 'a');
});

test('pending requests: at the limit the next start is OVER_FREQUENCY', async () => {
  const limit = 3;
  const pending = new PendingRequests<string>(limit, TIMEOUT_LONG_MS);
  const answers = [];
  for (let i = 0; i < limit; i++) answers.push(started(pending.start(SIGNAL_ANSWER)).answer);
  const refused = pending.start(SIGNAL_ANSWER);
  assert.ok(refused instanceof MagpieError);
  assert.equal(refused.code, ErrorCode.OVER_FREQUENCY);
  assert.equal(refused.kind, 'limit');
  pending.rejectAll(new MagpieError('disconnected', ErrorCode.SHARD_UNAVAILABLE, 'drop'));
  for (const answer of answers) {
    await assert.rejects(answer, (err: unknown) =>
      err instanceof MagpieError && err.code === ErrorCode.SHARD_UNAVAILABLE && err.retryable);
  }
  assert.equal(pending.size, 0);
  const again = started(pending.start(SIGNAL_ANSWER));
  pending.rejectAll(new MagpieError('closed', ErrorCode.NOT_CONNECTED, 'end'));
  await assert.rejects(again.answer, MagpieError);
});

test('pending requests: no answer in time rejects with TIMEOUT and frees the id', async () => {
  const pending = new PendingRequests<string>(4, 5);
  const a = started(pending.start(SIGNAL_ANSWER));
  await assert.rejects(a.answer, (err: unknown) =>
    err instanceof MagpieError && err.kind === 'timeout' && err.code === ErrorCode.TIMEOUT);
  assert.equal(pending.size, 0);
  assert.equal(pending.settle(a.id, SIGNAL_ANSWER, 'late'), false);
});

test('pending requests: fail rejects one request only', async () => {
  const pending = new PendingRequests<string>(4, TIMEOUT_LONG_MS);
  const a = started(pending.start(SIGNAL_ANSWER));
  const b = started(pending.start(SIGNAL_ANSWER));
  pending.fail(a.id, new MagpieError('limit', ErrorCode.TOO_LARGE, 'big'));
  await assert.rejects(a.answer, (err: unknown) => err instanceof MagpieError && err.code === 102);
  assert.equal(pending.size, 1);
  pending.settle(b.id, SIGNAL_ANSWER, 'b');
  assert.equal(await b.answer, 'b');
});
