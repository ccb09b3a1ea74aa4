// Runs one Gosling endpoint handshake (src/gosling/endpoint-client.ts / endpoint-server.ts,
// sans-IO) on a socket, as handshake-session.ts describes: bytes in, output written, a 1 s tick
// for the deadline, an AbortSignal. Resolves with the result and the bytes that followed the last
// handshake message (the start of the Ricochet packet stream, docs/ENDPOINTS.md §2) and leaves
// the socket paused with no reader, for the PeerLink that takes it over. On failure the error
// section (if any) is flushed, the socket destroyed, and the typed GoslingError (or the abort
// reason) rejected.
import type { Duplex } from 'node:stream';
import type { HandshakeSession } from '../gosling/handshake-session.js';

export interface EndpointStreamResult<R> {
  readonly result: R;
  readonly remainder: Uint8Array;
}

export function runEndpointHandshake<R>(
  socket: Duplex,
  session: HandshakeSession<R>,
  options: {
    readonly now: () => number;
    readonly signal?: AbortSignal;
    readonly start?: () => void;
  },
): Promise<EndpointStreamResult<R>> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setInterval(() => {
      session.tick(options.now());
      pump();
    }, 1_000);
    timer.unref();
    const finish = (): void => {
      done = true;
      clearInterval(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
      socket.off('end', onClose);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const pump = (): void => {
      if (done) return;
      for (const out of session.takeOutput()) if (!socket.destroyed) socket.write(out);
      for (const event of session.takeEvents()) {
        finish();
        if (event.type === 'completed') {
          socket.pause();
          resolve({ result: event.result, remainder: session.takeRemainder() });
        } else {
          socket.end(() => socket.destroy());
          setTimeout(() => socket.destroy(), 1_000).unref();
          reject(event.error);
        }
        return;
      }
    };
    const onData = (chunk: Buffer): void => {
      session.receive(
        new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
        options.now(),
      );
      pump();
    };
    const onClose = (): void => {
      session.transportClosed();
      pump();
    };
    const onAbort = (): void => {
      if (done) return;
      finish();
      socket.destroy();
      const reason: unknown = options.signal?.reason;
      reject(reason instanceof Error ? reason : new Error('endpoint handshake aborted'));
    };
    if (options.signal?.aborted === true) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onClose);
    socket.on('end', onClose);
    options.start?.();
    pump();
  });
}
