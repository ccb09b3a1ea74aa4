// Strict decode/encode of the Ricochet v3 control channel (channel 0) and its extensions:
// auth cookies (7200), contact request (200) and response (201). Field numbers as deployed by
// Ricochet Refresh 3.0.41; encodings reproduce its bytes (fields ascending, extensions last).
import {
  create,
  fromBinary,
  getExtension,
  hasExtension,
  setExtension,
  toBinary,
} from '@bufbuild/protobuf';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import {
  ChannelResultSchema,
  OpenChannelSchema,
  PacketSchema as ControlPacketSchema,
  ChannelResult_CommonError,
} from './gen/ControlChannel_pb.js';
import { client_cookie, server_cookie } from './gen/AuthHiddenService_pb.js';
import {
  ContactRequestSchema,
  ResponseSchema,
  Response_Status,
  contact_request,
  response,
} from './gen/ContactRequestChannel_pb.js';
import { LimitExceededError, MalformedPacketError, ProtocolViolationError } from './errors.js';
import { checkWire } from './wire-check.js';

export const ChannelType = {
  Auth: 'im.ricochet.auth.hidden-service',
  ContactRequest: 'im.ricochet.contact.request',
  Chat: 'im.ricochet.chat',
  FileTransfer: 'im.ricochet.file-transfer',
  /** Sotto only, between peers that negotiated ENDPOINTS_FEATURE (docs/ENDPOINTS.md §2). */
  EndpointNegotiation: 'im.sotto.endpoint.identity',
} as const;
export type KnownChannelType = (typeof ChannelType)[keyof typeof ChannelType];

export const COOKIE_SIZE = 16;
export const MAX_CHANNEL_TYPE_LENGTH = 128;
export const MAX_FEATURES = 32;
export const MAX_FEATURE_LENGTH = 128;

const EXTENSIONS = [client_cookie, server_cookie, contact_request, response] as const;

export type CommonError = 'generic' | 'unknown-type' | 'unauthorized' | 'bad-usage' | 'failed';
const COMMON_ERRORS: readonly CommonError[] = [
  'generic',
  'unknown-type',
  'unauthorized',
  'bad-usage',
  'failed',
];

export type ContactRequestStatus = 'undefined' | 'pending' | 'accepted' | 'rejected' | 'error';
const STATUSES: readonly ContactRequestStatus[] = [
  'undefined',
  'pending',
  'accepted',
  'rejected',
  'error',
];

/** Contact request as carried in OpenChannel ext 200. Absent fields decode as ''. */
export interface ContactRequestPayload {
  readonly nickname: string;
  readonly messageText: string;
}

export type ControlMessage =
  | {
      readonly kind: 'open-channel';
      readonly channelIdentifier: number;
      readonly channelType: string;
      readonly clientCookie?: Uint8Array;
      readonly contactRequest?: ContactRequestPayload;
    }
  | {
      readonly kind: 'channel-result';
      readonly channelIdentifier: number;
      readonly opened: boolean;
      readonly commonError?: CommonError;
      readonly serverCookie?: Uint8Array;
      readonly contactResponse?: ContactRequestStatus;
    }
  | { readonly kind: 'keep-alive'; readonly responseRequested: boolean }
  | { readonly kind: 'enable-features'; readonly features: readonly string[] }
  | { readonly kind: 'features-enabled'; readonly features: readonly string[] };

/** Runs the strict wire check, then decodes with @bufbuild/protobuf (extensions kept as unknowns). */
export function strictDecode<Desc extends DescMessage>(
  schema: Desc,
  data: Uint8Array,
): MessageShape<Desc> {
  checkWire(schema, data, EXTENSIONS);
  try {
    return fromBinary(schema, data, { readUnknownFields: true });
  } catch (error) {
    throw new MalformedPacketError(`${schema.name}: protobuf does not parse`, { cause: error });
  }
}

/** Throws ProtocolViolationError unless exactly one of `values` is defined; returns its index. */
export function exactlyOne(what: string, values: readonly unknown[]): number {
  const set = values.flatMap((v, i) => (v === undefined ? [] : [i]));
  if (set.length !== 1) {
    throw new ProtocolViolationError(`${what}: ${set.length} fields set, exactly one required`);
  }
  return set[0] as number;
}

function checkChannelId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffff) {
    throw new ProtocolViolationError(`channel identifier ${id} outside 1..65535`);
  }
}

function checkCookie(cookie: Uint8Array, which: string): void {
  if (cookie.length !== COOKIE_SIZE) {
    throw new ProtocolViolationError(`${which} is ${cookie.length} bytes, expected ${COOKIE_SIZE}`);
  }
}

function checkFeatures(features: readonly string[]): void {
  if (features.length > MAX_FEATURES) {
    throw new LimitExceededError(`${features.length} features, at most ${MAX_FEATURES}`);
  }
  for (const feature of features) {
    if (feature.length > MAX_FEATURE_LENGTH) {
      throw new LimitExceededError(`feature name of ${feature.length} chars`);
    }
  }
}

export function decodeControlPacket(data: Uint8Array): ControlMessage {
  const packet = strictDecode(ControlPacketSchema, data);
  const which = exactlyOne('control packet', [
    packet.openChannel,
    packet.channelResult,
    packet.keepAlive,
    packet.enableFeatures,
    packet.featuresEnabled,
  ]);
  switch (which) {
    case 0: {
      const open = packet.openChannel as MessageShape<typeof OpenChannelSchema>;
      checkChannelId(open.channelIdentifier);
      if (open.channelType.length > MAX_CHANNEL_TYPE_LENGTH) {
        throw new LimitExceededError(`channel type of ${open.channelType.length} chars`);
      }
      const hasCookie = hasExtension(open, client_cookie);
      const hasRequest = hasExtension(open, contact_request);
      if (hasCookie !== (open.channelType === ChannelType.Auth)) {
        throw new ProtocolViolationError('client_cookie goes with, and only with, an auth channel');
      }
      if (hasRequest !== (open.channelType === ChannelType.ContactRequest)) {
        throw new ProtocolViolationError('contact_request goes with, and only with, its channel');
      }
      const base = {
        kind: 'open-channel',
        channelIdentifier: open.channelIdentifier,
        channelType: open.channelType,
      } as const;
      if (hasCookie) {
        const clientCookie = getExtension(open, client_cookie);
        checkCookie(clientCookie, 'client_cookie');
        return { ...base, clientCookie };
      }
      if (hasRequest) {
        const request = getExtension(open, contact_request);
        return {
          ...base,
          contactRequest: { nickname: request.nickname, messageText: request.messageText },
        };
      }
      return base;
    }
    case 1: {
      const result = packet.channelResult as MessageShape<typeof ChannelResultSchema>;
      checkChannelId(result.channelIdentifier);
      const hasCookie = hasExtension(result, server_cookie);
      const hasResponse = hasExtension(result, response);
      if (hasCookie && hasResponse) {
        throw new ProtocolViolationError('channel result carries both server_cookie and response');
      }
      const hasError =
        result.commonError !== ChannelResult_CommonError.GenericError || isSet(result, 3);
      if (result.opened && hasError) {
        throw new ProtocolViolationError('channel result is opened and carries an error');
      }
      const out: {
        kind: 'channel-result';
        channelIdentifier: number;
        opened: boolean;
        commonError?: CommonError;
        serverCookie?: Uint8Array;
        contactResponse?: ContactRequestStatus;
      } = {
        kind: 'channel-result',
        channelIdentifier: result.channelIdentifier,
        opened: result.opened,
      };
      if (hasError) out.commonError = COMMON_ERRORS[result.commonError];
      if (hasCookie) {
        out.serverCookie = getExtension(result, server_cookie);
        checkCookie(out.serverCookie, 'server_cookie');
      }
      if (hasResponse) {
        out.contactResponse = STATUSES[getExtension(result, response).status];
      }
      return out;
    }
    case 2:
      return {
        kind: 'keep-alive',
        responseRequested: packet.keepAlive?.responseRequested === true,
      };
    case 3: {
      const features = [...(packet.enableFeatures?.feature ?? [])];
      checkFeatures(features);
      return { kind: 'enable-features', features };
    }
    default: {
      const features = [...(packet.featuresEnabled?.feature ?? [])];
      checkFeatures(features);
      return { kind: 'features-enabled', features };
    }
  }
}

function isSet(message: MessageShape<typeof ChannelResultSchema>, fieldNo: number): boolean {
  return Object.prototype.hasOwnProperty.call(message, fieldName(fieldNo));
}

function fieldName(fieldNo: number): string {
  const field = ChannelResultSchema.fields.find((f) => f.number === fieldNo);
  return field?.localName ?? '';
}

export function encodeControlPacket(message: ControlMessage): Uint8Array {
  const packet = create(ControlPacketSchema);
  switch (message.kind) {
    case 'open-channel': {
      checkChannelId(message.channelIdentifier);
      const open = create(OpenChannelSchema, {
        channelIdentifier: message.channelIdentifier,
        channelType: message.channelType,
      });
      if ((message.clientCookie !== undefined) !== (message.channelType === ChannelType.Auth)) {
        throw new ProtocolViolationError('client_cookie goes with, and only with, an auth channel');
      }
      if (
        (message.contactRequest !== undefined) !==
        (message.channelType === ChannelType.ContactRequest)
      ) {
        throw new ProtocolViolationError('contact_request goes with, and only with, its channel');
      }
      if (message.clientCookie) {
        checkCookie(message.clientCookie, 'client_cookie');
        setExtension(open, client_cookie, message.clientCookie);
      }
      if (message.contactRequest) {
        setExtension(open, contact_request, encodeContactRequestMessage(message.contactRequest));
      }
      packet.openChannel = open;
      break;
    }
    case 'channel-result': {
      checkChannelId(message.channelIdentifier);
      if (message.opened && message.commonError !== undefined) {
        throw new ProtocolViolationError('channel result is opened and carries an error');
      }
      if (message.serverCookie && message.contactResponse) {
        throw new ProtocolViolationError('channel result carries both server_cookie and response');
      }
      const result = create(ChannelResultSchema, {
        channelIdentifier: message.channelIdentifier,
        opened: message.opened,
      });
      if (message.commonError !== undefined) {
        result.commonError = COMMON_ERRORS.indexOf(message.commonError);
      }
      if (message.serverCookie) {
        checkCookie(message.serverCookie, 'server_cookie');
        setExtension(result, server_cookie, message.serverCookie);
      }
      if (message.contactResponse) {
        setExtension(
          result,
          response,
          create(ResponseSchema, { status: STATUSES.indexOf(message.contactResponse) }),
        );
      }
      packet.channelResult = result;
      break;
    }
    case 'keep-alive':
      packet.keepAlive = {
        $typeName: 'Protocol.Data.Control.KeepAlive',
        responseRequested: message.responseRequested,
      };
      break;
    case 'enable-features':
      checkFeatures(message.features);
      packet.enableFeatures = {
        $typeName: 'Protocol.Data.Control.EnableFeatures',
        feature: [...message.features],
      };
      break;
    case 'features-enabled':
      checkFeatures(message.features);
      packet.featuresEnabled = {
        $typeName: 'Protocol.Data.Control.FeaturesEnabled',
        feature: [...message.features],
      };
      break;
  }
  return toBinary(ControlPacketSchema, packet);
}

/**
 * Sotto sends `nickname` only when it is non-empty (3.0.41 never sends one) and always sends
 * `message_text`, so a request from Sotto with no nickname is byte-identical to 3.0.41's.
 */
function encodeContactRequestMessage(request: ContactRequestPayload) {
  const message = create(ContactRequestSchema);
  if (request.nickname !== '') message.nickname = request.nickname;
  message.messageText = request.messageText;
  return message;
}

/** Bare `Response` sent on a contact-request channel after the first (ChannelResult) answer. */
export function decodeContactResponse(data: Uint8Array): {
  readonly kind: 'contact-response';
  readonly status: ContactRequestStatus;
} {
  const message = strictDecode(ResponseSchema, data);
  return { kind: 'contact-response', status: STATUSES[message.status] as ContactRequestStatus };
}

export function encodeContactResponse(status: ContactRequestStatus): Uint8Array {
  return toBinary(
    ResponseSchema,
    create(ResponseSchema, { status: STATUSES.indexOf(status) as Response_Status }),
  );
}
