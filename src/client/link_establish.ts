// Opening a session: socket, CONNECT, CONNECT_ACK. An UNEXPECT_NODE answer names the owner's
// endpoint; we follow at most CONNECT_REDIRECTS_MAX of them. A refusal rejects with kind
// 'refused' and the CONNECT_ACK sub-signal as its code.

import { ErrorCode } from '../errors.js';
import { SubSignal } from '../protocol/signals.js';
import { MagpieError, errorProtocol } from './client_error.js';
import { CONNECT_REDIRECTS_MAX } from './client_limits.js';
import { ClientLink } from './client_link.js';
import type { LinkHandlers, LinkTarget, LinkTiming } from './client_link.js';
import { connectAckDecode, endpointsDecode } from './decode_answers.js';
import type { ConnectAckInfo } from './types.js';

export interface EstablishRequest {
  readonly target: LinkTarget;
  /** CONNECT content (fresh per attempt: the compat password has a random prefix). */
  readonly connectContent: () => unknown;
  readonly followRedirects: boolean;
  readonly timing: LinkTiming;
  readonly handlers: LinkHandlers;
}

export interface Established {
  readonly link: ClientLink;
  readonly info: ConnectAckInfo;
  /** Where the session lives (after redirects). */
  readonly target: LinkTarget;
}

/** Refusals that a retry with the same credentials cannot fix. */
export function refusalIsPermanent(subSignal: number): boolean {
  return (
    subSignal === SubSignal.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION ||
    subSignal === SubSignal.CONNECTION_REFUSED_IDENTIFIER_REJECTED ||
    subSignal === SubSignal.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD ||
    subSignal === SubSignal.CONNECTION_REFUSED_NOT_AUTHORIZED ||
    subSignal === SubSignal.CONNECTION_REFUSED_SESSION_NOT_EXIST
  );
}

export async function linkEstablish(request: EstablishRequest): Promise<Established> {
  let target = request.target;
  for (let redirects = 0; ; redirects++) {
    const link = await ClientLink.open(target, request.handlers, request.timing);
    let ack;
    try {
      ack = await link.connect(request.connectContent());
    } catch (err: unknown) {
      link.destroy();
      throw err;
    }
    if (ack.subSignal === SubSignal.CONNECTION_ACCEPTED) {
      const info = connectAckDecode(ack.content);
      if (info !== null) return { link, info, target };
      link.destroy();
      throw errorProtocol('CONNECT_ACK without a message head');
    }
    link.destroy();
    const redirect = ack.subSignal === SubSignal.CONNECTION_REFUSED_UNEXPECT_NODE;
    if (!redirect || !request.followRedirects || redirects >= CONNECT_REDIRECTS_MAX) {
      throw new MagpieError('refused', ack.subSignal, `CONNECT refused (${ack.subSignal})`);
    }
    const endpoints = endpointsDecode(ack.content);
    if (endpoints === null) throw errorProtocol('UNEXPECT_NODE without an endpoint');
    const port = target.transport === 'tcp' ? endpoints.tcpPort : endpoints.wsPort;
    target = { transport: target.transport, host: endpoints.host, port };
  }
}

/** A compat token the client cannot unwrap: what the server would say of it (TOKEN_ERROR). */
export function errorTokenUnusable(): MagpieError {
  return new MagpieError('server', ErrorCode.TOKEN_ERROR, 'the compat token cannot be unwrapped');
}
