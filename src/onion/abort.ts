// AbortSignal helpers of the onion layer (DOM AbortSignal semantics): what an aborted call rejects
// with, and a race of any promise against a signal that does not cancel the work itself.

/** What an aborted call rejects with: the signal's reason (an AbortError DOMException by default). */
export function abortError(signal: AbortSignal | undefined): Error {
  return signal?.reason instanceof Error
    ? signal.reason
    : new DOMException('The operation was aborted', 'AbortError');
}

/**
 * Settles like `work`, or rejects with the signal's reason as soon as it aborts. `work` itself is
 * not cancelled (the caller closes what it runs on), so a shared control connection is not torn
 * down by the abort before the caller has detached from it.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
