// The typed errors of file transfers (file-transfers.ts, file-source.ts, file-relink.ts): the
// core reports them with their `code` (docs/HEADLESS.md "Errors"); tests assert on the class.
import { CoreError } from './errors.js';

export class FileTransferError extends CoreError {
  readonly code: string = 'file-error';
  override name = 'FileTransferError';
}
export class UnknownTransferError extends FileTransferError {
  override readonly code: string = 'unknown-transfer';
  override name = 'UnknownTransferError';
}
export class PeerOfflineError extends FileTransferError {
  override readonly code: string = 'peer-offline';
  override name = 'PeerOfflineError';
}
