/** The error a connection request rejects with: the server's code, or one this layer adds. */

/** Server error codes, plus the ones this layer adds for requests that never got an answer. */
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

/** Anything a sealer threw, as a RequestError: its own code if it has one, else SEAL_FAILED. */
export function asRequestError(err: unknown): RequestError {
  if (err instanceof RequestError) return err;
  const code = (err as { code?: unknown })?.code;
  return new RequestError(
    typeof code === "string" ? code : "SEAL_FAILED",
    err instanceof Error ? err.message : String(err),
  );
}
