/**
 * WebSocket close codes and what a client must do after each. A client decides whether to
 * reconnect from the code alone: 4000–4499 and the transient standard codes mean "reconnect
 * with backoff"; 4500–4999, 1008 and 1009 mean "stop" (fix the cause or log in again).
 * 4000–4499 are reserved: none is sent today (a slow consumer is dropped, 1006, and a user over
 * the connection cap is refused at the upgrade with 429 TOO_MANY_CONNECTIONS).
 */

export const CLOSE = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  ABNORMAL: 1006,
  POLICY_VIOLATION: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  /** The session was logged out, revoked or expired: log in again. */
  SESSION_ENDED: 4500,
} as const;

export type CloseAdvice = "reconnect" | "stop";

export function closeAdvice(code: number): CloseAdvice {
  if (code >= 4500 && code <= 4999) return "stop";
  if (code === CLOSE.POLICY_VIOLATION || code === CLOSE.TOO_BIG || code === CLOSE.NORMAL) {
    return "stop";
  }
  return "reconnect";
}
