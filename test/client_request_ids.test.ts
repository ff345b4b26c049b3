import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REQUEST_ID_MAX } from '../src/client/client_limits.js';
import { RequestIds } from '../src/client/request_ids.js';

const none = (): boolean => false;

test('request ids: start at 1 and count up', () => {
  const ids = new RequestIds();
  assert.equal(ids.next(none), 1);
  assert.equal(ids.next(none), 2);
});

test('request ids: wrap from REQUEST_ID_MAX to 1, never 0', () => {
  const ids = new RequestIds(REQUEST_ID_MAX - 1);
  assert.equal(ids.next(none), REQUEST_ID_MAX);
  assert.equal(ids.next(none), 1);
});

test('request ids: skip ids still in use', () => {
  const ids = new RequestIds();
  const used = new Set([1, 2, 4]);
  assert.equal(ids.next((id) => used.has(id)), 3);
  assert.equal(ids.next((id) => used.has(id)), 5);
});

test('request ids: null when every id is in use', () => {
  const ids = new RequestIds();
  assert.equal(ids.next(() => true), null);
});

test('request ids: the one free id is found after a full lap', () => {
  const ids = new RequestIds(10);
  assert.equal(ids.next((id) => id !== 10), 10);
});
