/**
 * Recognises a TLS certificate failure in a fetch error, so it can be reported as what it is
 * (a refusal to trust the server) rather than as "cannot reach". Browser-safe: browsers hide
 * the cause of a failed fetch, so there this finds nothing and the failure stays "unreachable".
 */

/** Certificate problems the user can act on, by the error codes Bun (BoringSSL) reports. */
const UNTRUSTED: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "it is self-signed",
  SELF_SIGNED_CERT_IN_CHAIN: "it is signed by a self-signed certificate authority",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "it is signed by an unknown certificate authority",
  UNABLE_TO_GET_ISSUER_CERT: "it is signed by an unknown certificate authority",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "it is signed by an unknown certificate authority",
  CERT_UNTRUSTED: "it is not trusted for this use",
};

const INVALID: Record<string, string> = {
  CERT_HAS_EXPIRED: "it has expired",
  CERT_NOT_YET_VALID: "it is not valid yet",
  ERR_TLS_CERT_ALTNAME_INVALID: "it is for a different host name",
  HOSTNAME_MISMATCH: "it is for a different host name",
  CERT_REVOKED: "it has been revoked",
  CERT_SIGNATURE_FAILURE: "its signature is invalid",
};

export interface CertificateProblem {
  code: string;
  /** Trusting another CA (--ca) could fix it; an expired or misnamed certificate it cannot. */
  untrusted: boolean;
  reason: string;
}

export function certificateProblem(err: unknown): CertificateProblem | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  const untrusted = UNTRUSTED[code];
  if (untrusted) return { code, untrusted: true, reason: untrusted };
  const invalid = INVALID[code];
  if (invalid) return { code, untrusted: false, reason: invalid };
  if (/CERT|SELF_SIGNED|UNABLE_TO_GET_ISSUER/.test(code)) {
    return { code, untrusted: false, reason: "it could not be verified" };
  }
  return undefined;
}

/** One line that names the problem and what to do about it. */
export function certificateText(server: string, p: CertificateProblem): string {
  const what = p.untrusted ? "is not trusted" : "is not valid";
  const fix = p.untrusted
    ? " If the server uses a private or self-signed CA, pass its certificate with --ca FILE."
    : " The server's certificate must be fixed.";
  return `Refused the server at ${server}: its TLS certificate ${what} (${p.reason}; ${p.code}).${fix}`;
}
