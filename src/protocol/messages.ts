// Strict decode/encode of every Ricochet v3 channel message (control, auth, contact request,
// chat, file transfer) as discriminated unions, so no caller touches raw protobuf.
export * from './messages-control.js';
export * from './messages-channels.js';
