// The client SDK's public surface: import from here, not from the files behind it.

export { MagpieClient, WS_CLOSE_LOGGED_OUT, WS_CLOSE_REPLACED } from './client.js';
export { MagpieError } from './client_error.js';
export type { MagpieErrorKind } from './client_error.js';
export { DEV_LOGIN_CODE, compatLogin, login, route, sendCode } from './http_login.js';
export { textMessage } from './outgoing.js';
export type {
  ClientEvents,
  ClientOptions,
  CompatLoginResult,
  ConnectAckInfo,
  Conversation,
  DisconnectInfo,
  Endpoints,
  LoginResult,
  MessageContent,
  Notification,
  OutgoingMessage,
  ReceivedMessage,
  RequestAnswer,
  SendAck,
  Transport,
} from './types.js';
