// `--bridges FILE`: a file of bridge lines (one per line, blank lines and # comments skipped) read
// with a size bound and validated line by line (src/onion/bridges.ts), turned into network settings
// and then into tor options with the transport programs found on this machine.
import { readBounded } from '../fs/read-bounded.js';
import { BRIDGE_LIMITS, parseBridgeList, type BridgeLineProblem } from '../onion/bridges.js';
import { type NetworkSettings } from '../onion/network-settings.js';
import { torConfigForNetworkSettings, type NetworkTorConfig } from '../onion/network-torrc.js';
import { findTransportPrograms, transportLookup } from '../onion/transport-binaries.js';
import { CliError } from './errors.js';

/** The bridges file cannot be read, is too big, has no bridge, or has bad lines (all listed). */
export class BridgesFileError extends CliError {
  readonly code: string = 'bridges-file';
  override name = 'BridgesFileError';
  constructor(
    message: string,
    readonly problems: readonly BridgeLineProblem[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The bridges file holds more than a bridge list may (checked while reading: /dev/zero ends). */
export class BridgesFileTooLargeError extends BridgesFileError {
  override name = 'BridgesFileTooLargeError';
}

/** Reads and validates a bridges file into `{ mode: 'custom', customBridges }`. */
export async function readBridgesFile(path: string): Promise<NetworkSettings> {
  let text: string;
  try {
    const { bytes, truncated } = await readBounded(path, BRIDGE_LIMITS.textLength);
    if (truncated) {
      throw new BridgesFileTooLargeError(
        `${path} is more than ${BRIDGE_LIMITS.textLength} bytes: too big for a bridge list`,
      );
    }
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof BridgesFileError) throw error;
    throw new BridgesFileError(`cannot read the bridges file ${path}`, [], { cause: error });
  }
  const { bridges, problems } = parseBridgeList(text);
  if (problems.length > 0) {
    // The first line stands alone (the CLI prints only that); every bad line follows.
    const others = problems.length - 1;
    const more = others > 0 ? ` (and ${others} more bad line${others > 1 ? 's' : ''})` : '';
    const lines = problems.map((p) => `  line ${p.lineNumber}: ${p.error.message}`);
    throw new BridgesFileError(
      `${path}: ${(lines[0] ?? '').trimStart()}${more}\n${lines.join('\n')}`,
      problems,
    );
  }
  if (bridges.length === 0) throw new BridgesFileError(`${path} has no bridge lines`);
  return { mode: 'custom', customBridges: bridges.map((bridge) => bridge.line) };
}

/** The launched tor's options for `settings`, with transport programs looked up on PATH. */
export async function networkTorConfig(settings: NetworkSettings): Promise<NetworkTorConfig> {
  return torConfigForNetworkSettings(settings, transportLookup(await findTransportPrograms()));
}
