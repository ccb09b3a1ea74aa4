// The Gosling v0.1.0 call names and the Honk-RPC request routing both servers share: namespace
// check, function check, function version 0, and the request cookie a reply needs.
import {
  HandshakeOrderError,
  RequestFunctionError,
  RequestNamespaceError,
  RequestVersionError,
  ResponseCookieError,
  SectionParseError,
} from './errors.js';
import type { RequestSection, ResponseSection, Section } from './honk-message.js';

export const IDENTITY_NAMESPACE = 'gosling_identity';
export const ENDPOINT_NAMESPACE = 'gosling_endpoint';
export const BEGIN_HANDSHAKE = 'begin_handshake';
export const SEND_RESPONSE = 'send_response';
/** The request cookies a client uses for its two calls. */
export const BEGIN_COOKIE = 0n;
export const RESPONSE_COOKIE = 1n;

type CallSection = Exclude<Section, { kind: 'error' }>;

/**
 * Server side: `section` must be a request in `namespace` for `expected` (the only call allowed
 * now), with a cookie (so it can be answered) and function version 0. Returns the cookie.
 */
export function expectRequest(
  section: CallSection,
  namespace: string,
  expected: typeof BEGIN_HANDSHAKE | typeof SEND_RESPONSE,
): { request: RequestSection; cookie: bigint } {
  if (section.kind !== 'request') {
    throw new ResponseCookieError('a server has no request a response could answer');
  }
  if (section.namespace !== namespace) {
    throw new RequestNamespaceError(`unknown namespace '${section.namespace}'`);
  }
  if (section.function !== BEGIN_HANDSHAKE && section.function !== SEND_RESPONSE) {
    throw new RequestFunctionError(`unknown function '${section.function}'`);
  }
  if (section.function !== expected) {
    throw new HandshakeOrderError(`${section.function} called out of order`);
  }
  if (section.version !== 0) throw new RequestVersionError(`unknown version ${section.version}`);
  if (section.cookie === undefined) throw new SectionParseError('a Gosling call needs a cookie');
  return { request: section, cookie: section.cookie };
}

/**
 * Client side: `section` must be the complete response to `cookie` (pending responses are
 * returned as undefined: keep waiting). Servers never call clients.
 */
export function expectResponse(section: CallSection, cookie: bigint): ResponseSection | undefined {
  if (section.kind !== 'response') {
    throw new HandshakeOrderError('a Gosling server does not call its client');
  }
  if (section.cookie !== cookie) {
    throw new ResponseCookieError(`no request pending with cookie ${section.cookie}`);
  }
  return section.state === 'pending' ? undefined : section;
}

/** A Gosling call (function version 0) with the cookie its response will carry. */
export function call(
  cookie: bigint,
  namespace: string,
  fn: typeof BEGIN_HANDSHAKE | typeof SEND_RESPONSE,
  args: RequestSection['arguments'],
): RequestSection {
  return { kind: 'request', cookie, namespace, function: fn, version: 0, arguments: args };
}

/** The complete response a server sends to the call that carried `cookie`. */
export function reply(cookie: bigint, result: unknown): ResponseSection {
  return { kind: 'response', cookie, state: 'complete', result };
}
