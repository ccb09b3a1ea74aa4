// Sotto's Tor control-port client (torspec control-spec): parser, quoting, connection, auth,
// command wrappers and event parsers. Import from here.
export * from './errors.js';
export * from './reply-parser.js';
export * from './quote.js';
export * from './control-connection.js';
export * from './authenticate.js';
export {
  getInfo,
  getConf,
  setConf,
  resetConf,
  setEvents,
  signal,
  takeOwnership,
  dropOwnership,
  addOnion,
  delOnion,
  type ConfEntries,
  type TorSignal,
  type OnionTarget,
  type AddOnionPort,
  type AddOnionRequest,
  type AddOnionResult,
} from './commands.js';
export * from './events.js';
export * from './client-auth-commands.js';
