// A value shaped like a stored 1:1 text message, for the LMDB limit benches: what the server's
// message log holds per message, msgpack-encoded by lmdb-js.

export const STORED_MESSAGE_SAMPLE = {
  uid: 250_802_723_841_118_208n,
  from: '1wli58j1wum8',
  conversationType: 0,
  target: '1wli58lysl4w',
  line: 0,
  timestamp: 1_795_485_629_053,
  content: {
    type: 1,
    searchableContent: 'Are we still on for lunch tomorrow? 明天中午还一起吃饭吗？',
  },
  clientMessageId: '7c4f3f0e-8d1a-4b8e-9a51-3f2d1c0b9a87',
};
