// Micro benches of the actor runtime (src/runtime/*): a bounded Mailbox on its own (push, then
// shift), and ActorRuntime.tell + drain over many actors, as a shard's turn does with sends.
// 'ref:' is a plain array queue, the floor the mailbox is measured against.

import { DRAIN_ITEMS_PER_TURN_MAX, MAILBOX_COMMANDS_MAX } from '../src/limits.js';
import { ActorRuntime } from '../src/runtime/actor_runtime.js';
import type { Actor } from '../src/runtime/actor_runtime.js';
import { Mailbox } from '../src/runtime/mailbox.js';
import { BENCH_OPTIONS, benchCasesRun, benchKeep, cliParse } from './lib/cli.js';
import type { BenchCase } from './lib/cli.js';

const ABOUT = `micro_mailbox: bounded mailbox push/shift and actor runtime tell/drain.
Usage: node dist/bench/micro_mailbox.js [options]`;

/** Commands per call: one drain turn's budget, so a call is one full turn. */
const COMMANDS_PER_CALL = DRAIN_ITEMS_PER_TURN_MAX;

interface Command {
  readonly type: 'Send';
  readonly n: number;
}

class CountingActor implements Actor<Command> {
  readonly mailbox = new Mailbox<Command>(MAILBOX_COMMANDS_MAX);
  total = 0;
  handle(command: Command): void {
    this.total += command.n;
  }
}

function mailboxCase(): BenchCase {
  const mailbox = new Mailbox<Command>(MAILBOX_COMMANDS_MAX);
  const command: Command = { type: 'Send', n: 1 };
  return {
    name: `Mailbox push + shift, ${MAILBOX_COMMANDS_MAX} deep`,
    fn: () => {
      let sum = 0;
      for (let i = 0; i < MAILBOX_COMMANDS_MAX; i++) mailbox.push(command);
      for (let item = mailbox.shift(); item !== undefined; item = mailbox.shift()) sum += item.n;
      benchKeep(sum);
    },
    opsPerCall: MAILBOX_COMMANDS_MAX,
  };
}

function referenceCase(): BenchCase {
  const command: Command = { type: 'Send', n: 1 };
  return {
    name: `ref: array push + shift, ${MAILBOX_COMMANDS_MAX} deep`,
    fn: () => {
      const queue: Command[] = [];
      let sum = 0;
      for (let i = 0; i < MAILBOX_COMMANDS_MAX; i++) queue.push(command);
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) sum += item.n;
      benchKeep(sum);
    },
    opsPerCall: MAILBOX_COMMANDS_MAX,
  };
}

/** tell spreads up to COMMANDS_PER_CALL commands over `actors` actors; one drain runs them. */
function runtimeCase(actors: number): BenchCase {
  const runtime = new ActorRuntime<Command>((error) => {
    throw error;
  });
  const all = Array.from({ length: actors }, () => new CountingActor());
  const command: Command = { type: 'Send', n: 1 };
  // A full mailbox refuses: never tell one actor more than it holds.
  const commands = Math.min(COMMANDS_PER_CALL, actors * MAILBOX_COMMANDS_MAX);
  return {
    name: `ActorRuntime tell + drain, ${actors} actors`,
    fn: () => {
      for (let i = 0; i < commands; i++) {
        if (runtime.tell(all[i % actors]!, command) !== 'ok') throw new Error('mailbox full');
      }
      runtime.drain();
      benchKeep(all[0]!.total);
    },
    opsPerCall: commands,
  };
}

const options = cliParse(ABOUT, { ...BENCH_OPTIONS });
await benchCasesRun('micro_mailbox', [
  mailboxCase(), referenceCase(), runtimeCase(1), runtimeCase(100), runtimeCase(4096),
], options);
