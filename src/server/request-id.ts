/**
 * Request ids for HTTP log lines: one per request, echoed in the X-Request-Id response header so
 * a user's report can be matched with the server's log. A proxy's own X-Request-Id is kept when
 * it is a sane token, so one id follows the request through both logs.
 */

const SANE = /^[A-Za-z0-9._:-]{1,64}$/;
const WEBHOOK_PATH = /^\/api\/hooks\/[^/]+/;

export function requestIds(): (req: Request) => string {
  // A per-process prefix: ids stay distinct across restarts and across nodes.
  const prefix = crypto.randomUUID().slice(0, 8);
  let next = 0;
  return (req) => {
    const given = req.headers.get("x-request-id");
    return given !== null && SANE.test(given) ? given : `${prefix}-${(++next).toString(36)}`;
  };
}

/** The path as it may be logged: a webhook's path holds its token, which logs must not. */
export function loggablePath(pathname: string): string {
  return WEBHOOK_PATH.test(pathname) ? "/api/hooks/…" : pathname;
}
