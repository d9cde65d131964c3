"""Errors of the gateway, each with its HTTP status and stable machine-readable codes.

::

    GatewayError                       500 server_error       root: every error the gateway raises
    ├── ConfigurationError             500 server_error       the gateway or a CA is set up wrongly
    ├── PkiError                       500 server_error       a consortium CA operation failed
    │   ├── PkiFileError               500                    a PKI file is missing, exists or is malformed
    │   ├── KeyUnlockFailed            500                    a private key does not open with the password
    │   └── IssuanceRefused            500                    what to issue is not allowed (role, province...)
    ├── TrustStoreUnavailable          503 temporarily_unavailable  the CRL cannot be read or trusted
    ├── ServiceUnavailable             503 temporarily_unavailable  a store, the ledger index or the audit trail is down
    │   └── AuditUnavailable                                  an audit event could not be made durable
    ├── AuditLogMismatch               500 audit_log_mismatch the audit log contradicts its anchored checkpoints
    ├── RemoteError                    (as answered)          another gateway answered with an error (client side)
    │   └── PeerUnavailable                                   another gateway cannot be reached (also a ConnectionError)
    ├── ProofMismatch                  500 proof_mismatch     a proof a gateway gave does not verify (client side)
    ├── BadRequest                     400 invalid_request    the request is malformed
    │   └── UnsupportedGrantType       400 unsupported_grant_type
    ├── ClientAuthenticationFailed     401 invalid_client     RFC 6749 section 5.2
    │   ├── CertificateRejected                               the x5c chain does not make an identity
    │   │   ├── CertificateMissing                            no x5c header
    │   │   ├── CertificateMalformed                          not DER X.509
    │   │   ├── CertificateUntrusted                          not issued by the consortium root
    │   │   ├── CertificateExpired                            outside its validity period
    │   │   ├── CertificateRevoked                            on the consortium CRL
    │   │   └── CertificateProfileViolation                   wrong key, key usage, EKU or names
    │   └── AssertionRejected                                 the RFC 7523 client assertion is refused
    │       ├── AssertionMalformed                            not a JWS, claims missing or mistyped
    │       ├── AssertionSignatureInvalid                     not signed by the certificate's key
    │       ├── AssertionIssuerMismatch                       iss or sub is not the certificate's client
    │       ├── AssertionAudienceMismatch                     aud is not this gateway
    │       ├── AssertionExpired                              exp has passed
    │       ├── AssertionLifetimeExceeded                     exp too far ahead
    │       ├── AssertionNotYetValid                          iat or nbf in the future
    │       └── AssertionReplayed                             jti seen before
    ├── InvalidToken                   401 invalid_token      RFC 6750 section 3.1
    │   ├── TokenMissing                                      no bearer token (RFC 6750 section 3.1: no error code)
    │   ├── TokenMalformed
    │   ├── TokenSignatureInvalid                             not signed by this gateway's key
    │   ├── TokenAudienceMismatch                             issued by or for another gateway
    │   ├── TokenExpired
    │   └── TokenRevoked                                      the client's certificate was revoked
    ├── Forbidden                      403 forbidden
    │   ├── InsufficientScope          403 insufficient_scope RFC 6750 section 3.1
    │   ├── PurposeRequired            403 purpose_required   a query without a declared purpose
    │   └── AuthorisationRequired      403 authorisation_required  a query without an authorisation reference
    ├── NotFound                       404 not_found
    ├── Conflict                       409 conflict
    ├── PayloadTooLarge                413 payload_too_large  the request body is over the limit
    ├── Unprocessable                  422 unprocessable
    └── RateLimited                    429 rate_limited

``status`` is the HTTP status, ``code`` the error code a client reads (the OAuth ``error``
value where RFC 6749 or RFC 6750 defines one), ``reason`` the narrower cause for problem
types and the audit trail (``certificate_revoked``). All three are class attributes, so the
HTTP layer maps every error to RFC 9457 problem+json in one handler. ``str()`` is the detail.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Root of the gateway's errors; the message is meant for people."""

    status = 500
    code = "server_error"
    reason = "server_error"


class ConfigurationError(GatewayError):
    reason = "configuration_error"


class PkiError(GatewayError):
    reason = "pki_error"


class PkiFileError(PkiError):
    reason = "pki_file_error"


class KeyUnlockFailed(PkiError):
    reason = "key_unlock_failed"


class IssuanceRefused(PkiError):
    reason = "issuance_refused"


class TrustStoreUnavailable(GatewayError):
    status = 503
    code = "temporarily_unavailable"
    reason = "trust_store_unavailable"


class ServiceUnavailable(GatewayError):
    status = 503
    code = "temporarily_unavailable"
    reason = "service_unavailable"


class AuditUnavailable(ServiceUnavailable):
    reason = "audit_unavailable"


class AuditLogMismatch(GatewayError):
    code = "audit_log_mismatch"
    reason = "audit_log_mismatch"


class RemoteError(GatewayError):
    """Another gateway answered with an error; ``status``, ``code`` and ``reason`` are its own."""

    def __init__(self, message: str, *, status: int = 502, code: str = "server_error", reason: str = "remote_error"):
        super().__init__(message)
        self.status = status
        self.code = code
        self.reason = reason


class PeerUnavailable(RemoteError, ConnectionError):
    """Another gateway cannot be reached; a ``ConnectionError`` too, so that callers that retry
    on ``OSError`` (the adapters' syncer) ask again later."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=503, code="temporarily_unavailable", reason="peer_unavailable")


class ProofMismatch(GatewayError):
    code = "proof_mismatch"
    reason = "proof_mismatch"


class BadRequest(GatewayError):
    status = 400
    code = "invalid_request"
    reason = "invalid_request"


class UnsupportedGrantType(BadRequest):
    code = "unsupported_grant_type"
    reason = "unsupported_grant_type"


class ClientAuthenticationFailed(GatewayError):
    status = 401
    code = "invalid_client"
    reason = "invalid_client"


class CertificateRejected(ClientAuthenticationFailed):
    reason = "certificate_rejected"


class CertificateMissing(CertificateRejected):
    reason = "certificate_missing"


class CertificateMalformed(CertificateRejected):
    reason = "certificate_malformed"


class CertificateUntrusted(CertificateRejected):
    reason = "certificate_untrusted"


class CertificateExpired(CertificateRejected):
    reason = "certificate_expired"


class CertificateRevoked(CertificateRejected):
    reason = "certificate_revoked"


class CertificateProfileViolation(CertificateRejected):
    reason = "certificate_profile_violation"


class AssertionRejected(ClientAuthenticationFailed):
    reason = "assertion_rejected"


class AssertionMalformed(AssertionRejected):
    reason = "assertion_malformed"


class AssertionSignatureInvalid(AssertionRejected):
    reason = "assertion_signature_invalid"


class AssertionIssuerMismatch(AssertionRejected):
    reason = "assertion_issuer_mismatch"


class AssertionAudienceMismatch(AssertionRejected):
    reason = "assertion_audience_mismatch"


class AssertionExpired(AssertionRejected):
    reason = "assertion_expired"


class AssertionLifetimeExceeded(AssertionRejected):
    reason = "assertion_lifetime_exceeded"


class AssertionNotYetValid(AssertionRejected):
    reason = "assertion_not_yet_valid"


class AssertionReplayed(AssertionRejected):
    reason = "assertion_replayed"


class InvalidToken(GatewayError):
    status = 401
    code = "invalid_token"
    reason = "invalid_token"


class TokenMissing(InvalidToken):
    reason = "token_missing"


class TokenMalformed(InvalidToken):
    reason = "token_malformed"


class TokenSignatureInvalid(InvalidToken):
    reason = "token_signature_invalid"


class TokenAudienceMismatch(InvalidToken):
    reason = "token_audience_mismatch"


class TokenExpired(InvalidToken):
    reason = "token_expired"


class TokenRevoked(InvalidToken):
    reason = "token_revoked"


class Forbidden(GatewayError):
    status = 403
    code = "forbidden"
    reason = "forbidden"


class InsufficientScope(Forbidden):
    code = "insufficient_scope"
    reason = "insufficient_scope"


class PurposeRequired(Forbidden):
    code = "purpose_required"
    reason = "purpose_required"


class AuthorisationRequired(Forbidden):
    code = "authorisation_required"
    reason = "authorisation_required"


class NotFound(GatewayError):
    status = 404
    code = "not_found"
    reason = "not_found"


class Conflict(GatewayError):
    status = 409
    code = "conflict"
    reason = "conflict"


class PayloadTooLarge(GatewayError):
    status = 413
    code = "payload_too_large"
    reason = "payload_too_large"


class Unprocessable(GatewayError):
    status = 422
    code = "unprocessable"
    reason = "unprocessable"


class RateLimited(GatewayError):
    status = 429
    code = "rate_limited"
    reason = "rate_limited"
