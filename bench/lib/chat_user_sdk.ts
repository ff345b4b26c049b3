// The same chat user as chat_user.ts on the client SDK (MagpieClient): one object per message,
// msgpack encoding per send, the SDK's own pull loop. Kept to measure what the SDK costs a load
// generator (one_to_one --client sdk) against the raw link.

import { MagpieClient } from '../../src/client/index.js';
import type { Transport } from '../../src/client/index.js';
import { latencyRecord } from './histogram.js';
import { nowUs, stampText } from './chat_user.js';
import type { AckedHook, ChatSender, ChatStats } from './chat_user.js';

export interface SdkUserOptions {
  readonly transport: Transport;
  readonly host: string;
  readonly port: number;
  readonly uid: string;
  readonly token: string;
  readonly deviceId: string;
  readonly target: string | null;
  readonly text: string;
  readonly stats: ChatStats;
  readonly onAcked: AckedHook;
}

export class SdkChatUser implements ChatSender {
  inFlight = 0;
  private readonly client: MagpieClient;
  private readonly opts: SdkUserOptions;

  private constructor(client: MagpieClient, opts: SdkUserOptions) {
    this.client = client;
    this.opts = opts;
    const { stats } = opts;
    client.on('message', (message) => {
      if (message.from === opts.uid) return; // our own sends, synced to our timeline
      stats.delivered++;
      if (stats.measuring) {
        latencyRecord(stats.deliverHist, nowUs() - Number(message.content.content));
      }
    });
    client.on('error', () => {
      stats.errors++;
    });
  }

  static async open(opts: SdkUserOptions): Promise<SdkChatUser> {
    const client = new MagpieClient({
      transport: opts.transport,
      host: opts.host,
      port: opts.port,
      uid: opts.uid,
      token: opts.token,
      deviceId: opts.deviceId,
      autoReconnect: false,
    });
    const user = new SdkChatUser(client, opts);
    await client.connect();
    return user;
  }

  send(stampUs: number): void {
    const { stats, target, text } = this.opts;
    if (target === null) throw new Error(`${this.opts.uid} is not a sender`);
    this.inFlight++;
    stats.sent++;
    const message = {
      conversation: { type: 0, target, line: 0 },
      content: { type: 1, searchableContent: text, content: stampText(stampUs) },
    };
    this.client.send(message).then(() => {
      stats.acked++;
      if (stats.measuring) latencyRecord(stats.ackHist, nowUs() - stampUs);
    }, () => {
      stats.errors++;
    }).finally(() => {
      this.inFlight--;
      this.opts.onAcked(this);
    });
  }

  close(): void {
    this.client.close();
  }
}
