"""Consortium PKI: the root CA, client certificates, the revocation list and the trust store.

Profile (RFC 5280), all keys ECDSA P-256, signatures ECDSA with SHA-256:

- Root CA: self-signed; basicConstraints CA (path length 0), keyUsage keyCertSign and cRLSign.
- Client certificate: subject ``O=<organisation>`` (UTF8String, Chinese names welcome) and
  ``CN=<client id>``; basicConstraints not a CA; keyUsage digitalSignature; extendedKeyUsage
  clientAuth; a random 159-bit serial. Role and province are subjectAltName URIs:
  ``urn:yrdx:role:<province|agency|auditor>``, exactly one, and ``urn:yrdx:province:<sh|js|zj|ah>``,
  present exactly when the role is ``province``. The verifier refuses any other SAN entry.
- The CRL (RFC 5280 section 5) is signed by the root and carries a CRL number; a gateway's
  ``TrustStore`` re-reads it whenever the file changes, so a revocation needs no restart.

A CA directory holds ``ca.pem``, ``ca-key.pem`` (encrypted), ``crl.pem`` and ``issued/`` (a copy
of every certificate issued, named by serial). A client directory holds ``key.pem``
(encrypted), ``cert.pem`` and ``chain.pem`` (certificate, then root). Private keys are
PKCS#8 ``EncryptedPrivateKeyInfo`` (RFC 5958) under PBES2 (RFC 8018 section 6.2) with
PBKDF2-HMAC-SHA256 and AES-256-CBC, readable by OpenSSL and ``cryptography``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from adapters.core.provinces import Province
from gateway.errors import (
    CertificateExpired,
    CertificateMalformed,
    CertificateMissing,
    CertificateProfileViolation,
    CertificateRevoked,
    CertificateUntrusted,
    IssuanceRefused,
    KeyUnlockFailed,
    PkiFileError,
    TrustStoreUnavailable,
)

ROLE_URI = "urn:yrdx:role:"
PROVINCE_URI = "urn:yrdx:province:"
CA_CERT, CA_KEY, CRL_FILE, ISSUED_DIR = "ca.pem", "ca-key.pem", "crl.pem", "issued"
KEY_FILE, CERT_FILE, CHAIN_FILE = "key.pem", "cert.pem", "chain.pem"
KDF_ITERATIONS = 600_000
MIN_PASSWORD_BYTES = 12
CRL_VALIDITY = dt.timedelta(days=30)

_E = TypeVar("_E", bound=x509.ExtensionType)
_CLIENT_ID = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
_ORGANISATION_MAX = 64  # ub-organization-name, RFC 5280 appendix A.1


class Role(StrEnum):
    """What a client organisation is to the exchange; decides its scopes."""

    PROVINCE = "province"
    AGENCY = "agency"
    AUDITOR = "auditor"


class RevocationReason(StrEnum):
    """CRL entry reasons (RFC 5280 section 5.3.1) an operator may give."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key-compromise"
    AFFILIATION_CHANGED = "affiliation-changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation-of-operation"
    PRIVILEGE_WITHDRAWN = "privilege-withdrawn"


@dataclass(frozen=True)
class ClientIdentity:
    """Who a verified client certificate names."""

    client_id: str
    organisation: str
    role: Role
    province: Province | None
    serial: int
    not_after: dt.datetime


def client_id_for(organisation: str, role: Role, province: Province | None = None) -> str:
    """The stable client id of an organisation in a role: the same on every re-issuance.

    ``<role>[-<province>]-<16 base32 characters of SHA-256(role, province, NFC organisation)>``.
    """
    name = _organisation(organisation)
    short = province.value if province else ""
    digest = hashlib.sha256("\x00".join((role.value, short, name)).encode()).digest()
    tag = base64.b32encode(digest).decode()[:16].lower()
    return f"{role.value}-{short}-{tag}" if short else f"{role.value}-{tag}"


# -- keys


def generate_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def encrypt_private_key(
    key: ec.EllipticCurvePrivateKey, password: bytes, *, kdf_iterations: int = KDF_ITERATIONS
) -> bytes:
    """PEM ``ENCRYPTED PRIVATE KEY``: RFC 5958 EncryptedPrivateKeyInfo, PBES2 of RFC 8018
    section 6.2 with PBKDF2-HMAC-SHA256 (``kdf_iterations`` rounds) and AES-256-CBC.

    ``cryptography``'s own PKCS#8 encryption fixes the PBKDF2 rounds at 2048; an offline guess
    at a CA password should cost far more than that.
    """
    if len(password) < MIN_PASSWORD_BYTES:
        raise IssuanceRefused(f"expected a password of at least {MIN_PASSWORD_BYTES} bytes, found {len(password)}")
    plain = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt, iv = os.urandom(16), os.urandom(16)
    kek = PBKDF2HMAC(hashes.SHA256(), 32, salt, kdf_iterations).derive(password)
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(kek), modes.CBC(iv)).encryptor()
    sealed = encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()
    pbkdf2 = _der_seq(
        _OID_PBKDF2,
        _der_seq(_der(0x04, salt), _der_int(kdf_iterations), _der_seq(_OID_HMAC_SHA256, b"\x05\x00")),
    )
    info = _der_seq(
        _der_seq(_OID_PBES2, _der_seq(pbkdf2, _der_seq(_OID_AES256_CBC, _der(0x04, iv)))),
        _der(0x04, sealed),
    )
    body = base64.encodebytes(info).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"\n".join([b"-----BEGIN ENCRYPTED PRIVATE KEY-----", *lines, b"-----END ENCRYPTED PRIVATE KEY-----", b""])


def load_private_key(pem: bytes, password: bytes) -> ec.EllipticCurvePrivateKey:
    """Open an encrypted PEM private key; it must be an ECDSA P-256 key."""
    try:
        key = serialization.load_pem_private_key(pem, password)
    except (ValueError, TypeError) as exc:
        raise KeyUnlockFailed(
            "the private key does not open with this password (or is not an encrypted PEM key)"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise KeyUnlockFailed(f"expected an ECDSA P-256 private key, found {type(key).__name__}")
    return key


# -- the certificate authority


class CertificateAuthority:
    """The consortium root: issues client certificates and signs revocation lists."""

    def __init__(self, *, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        if certificate.public_key() != key.public_key():
            raise PkiFileError("the CA key does not belong to the CA certificate")
        self.certificate = certificate
        self.key = key

    @classmethod
    def create(
        cls,
        *,
        organisation: str = "YRDX Consortium",
        common_name: str = "YRDX Consortium Root CA",
        validity: dt.timedelta = dt.timedelta(days=3650),
        now: dt.datetime | None = None,
        key: ec.EllipticCurvePrivateKey | None = None,
    ) -> CertificateAuthority:
        key = key or generate_key()
        now = now or _now()
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, _organisation(organisation)),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + validity)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(certificate=cert, key=key)

    def issue(
        self,
        public_key: ec.EllipticCurvePublicKey,
        *,
        organisation: str,
        role: Role,
        province: Province | None = None,
        client_id: str | None = None,
        validity: dt.timedelta = dt.timedelta(days=365),
        now: dt.datetime | None = None,
    ) -> x509.Certificate:
        """A client certificate for ``organisation`` in ``role`` (and ``province``)."""
        if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
            raise IssuanceRefused("expected an ECDSA P-256 public key")
        if (role is Role.PROVINCE) != (province is not None):
            shown = province.value if province else None
            raise IssuanceRefused(
                f"expected a province exactly for role province, found role {role.value} with province {shown!r}"
            )
        name = _organisation(organisation)
        client_id = client_id or client_id_for(name, role, province)
        if not _CLIENT_ID.fullmatch(client_id):
            raise IssuanceRefused(f"expected a client id matching {_CLIENT_ID.pattern}, found {client_id!r}")
        if validity <= dt.timedelta(0):
            raise IssuanceRefused(f"expected a positive validity, found {validity}")
        now = now or _now()
        uris = [x509.UniformResourceIdentifier(ROLE_URI + role.value)]
        if province is not None:
            uris.append(x509.UniformResourceIdentifier(PROVINCE_URI + province.value))
        ca_key = self.key.public_key()
        return (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name(
                    [
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                        x509.NameAttribute(NameOID.COMMON_NAME, client_id),
                    ]
                )
            )
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + validity)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(uris), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def sign_crl(
        self,
        entries: Sequence[x509.RevokedCertificate],
        *,
        number: int,
        now: dt.datetime | None = None,
    ) -> x509.CertificateRevocationList:
        """A CRL (RFC 5280 section 5) listing ``entries``, with CRL number ``number``."""
        now = now or _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(now)
            .next_update(now + CRL_VALIDITY)
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        for entry in entries:
            builder = builder.add_revoked_certificate(entry)
        return builder.sign(self.key, hashes.SHA256())


# -- the CA directory and client directories


@dataclass(frozen=True)
class IssuedClient:
    """What ``issue_client`` wrote."""

    identity: ClientIdentity
    key_path: Path
    cert_path: Path
    chain_path: Path


def init_ca(
    directory: Path,
    *,
    password: bytes,
    organisation: str = "YRDX Consortium",
    common_name: str = "YRDX Consortium Root CA",
    validity: dt.timedelta = dt.timedelta(days=3650),
    now: dt.datetime | None = None,
    kdf_iterations: int = KDF_ITERATIONS,
) -> CertificateAuthority:
    """Create the consortium root in a new (or empty) directory, with an empty CRL."""
    if (directory / CA_CERT).exists() or (directory / CA_KEY).exists():
        raise PkiFileError(f"{directory} already holds a CA; refusing to replace it")
    ca = CertificateAuthority.create(organisation=organisation, common_name=common_name, validity=validity, now=now)
    key_pem = encrypt_private_key(ca.key, password, kdf_iterations=kdf_iterations)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ISSUED_DIR).mkdir(exist_ok=True)
    _write_new(directory / CA_KEY, key_pem, mode=0o600)
    _write_new(directory / CA_CERT, ca.certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)
    crl = ca.sign_crl([], number=1, now=now)
    _write_atomic(directory / CRL_FILE, crl.public_bytes(serialization.Encoding.PEM))
    return ca


def open_ca(directory: Path, *, password: bytes) -> CertificateAuthority:
    """The CA of a directory made by ``init_ca``, its key opened with ``password``."""
    cert = load_certificates(directory / CA_CERT)[0]
    key = load_private_key(_read(directory / CA_KEY), password)
    return CertificateAuthority(certificate=cert, key=key)


def issue_client(
    ca: CertificateAuthority,
    ca_directory: Path,
    out: Path,
    *,
    key_password: bytes,
    organisation: str,
    role: Role,
    province: Province | None = None,
    client_id: str | None = None,
    validity: dt.timedelta = dt.timedelta(days=365),
    now: dt.datetime | None = None,
    kdf_iterations: int = KDF_ITERATIONS,
) -> IssuedClient:
    """Make a key pair and certificate into ``out`` (``key.pem``, ``cert.pem``, ``chain.pem``)
    and keep a copy of the certificate in the CA directory."""
    paths = [out / KEY_FILE, out / CERT_FILE, out / CHAIN_FILE]
    for path in paths:
        if path.exists():
            raise PkiFileError(f"{path} exists; refusing to replace it")
    key = generate_key()
    cert = ca.issue(
        key.public_key(),
        organisation=organisation,
        role=role,
        province=province,
        client_id=client_id,
        validity=validity,
        now=now,
    )
    key_pem = encrypt_private_key(key, key_password, kdf_iterations=kdf_iterations)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    root_pem = ca.certificate.public_bytes(serialization.Encoding.PEM)
    out.mkdir(parents=True, exist_ok=True)
    _write_new(paths[0], key_pem, mode=0o600)
    _write_new(paths[1], cert_pem, mode=0o644)
    _write_new(paths[2], cert_pem + root_pem, mode=0o644)
    (ca_directory / ISSUED_DIR).mkdir(exist_ok=True)
    _write_new(ca_directory / ISSUED_DIR / f"{cert.serial_number:040x}.pem", cert_pem, mode=0o644)
    return IssuedClient(identity=identity_of(cert), key_path=paths[0], cert_path=paths[1], chain_path=paths[2])


def revoke(
    ca: CertificateAuthority,
    ca_directory: Path,
    certificate: x509.Certificate,
    *,
    reason: RevocationReason = RevocationReason.UNSPECIFIED,
    now: dt.datetime | None = None,
) -> bool:
    """Add ``certificate`` to the directory's CRL and re-sign it; False if already listed."""
    try:
        certificate.verify_directly_issued_by(ca.certificate)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise IssuanceRefused(
            f"expected a certificate issued by {ca.certificate.subject.rfc4514_string()}, "
            f"found one issued by {certificate.issuer.rfc4514_string()}"
        ) from exc
    crl = _load_crl(ca_directory / CRL_FILE)
    if crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None:
        return False
    now = now or _now()
    entry = x509.RevokedCertificateBuilder().serial_number(certificate.serial_number).revocation_date(now)
    if reason is not RevocationReason.UNSPECIFIED:  # RFC 5280 5.3.1: omit rather than say "unspecified"
        entry = entry.add_extension(x509.CRLReason(_REASON_FLAGS[reason]), critical=False)
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    new = ca.sign_crl([*crl, entry.build()], number=number + 1, now=now)
    _write_atomic(ca_directory / CRL_FILE, new.public_bytes(serialization.Encoding.PEM))
    return True


def revocation_reason(entry: x509.RevokedCertificate) -> RevocationReason:
    """The reason a CRL entry gives (``unspecified`` when it gives none)."""
    try:
        flag = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return RevocationReason.UNSPECIFIED
    return next((r for r, f in _REASON_FLAGS.items() if f is flag), RevocationReason.UNSPECIFIED)


def load_certificates(path: Path) -> list[x509.Certificate]:
    """The PEM certificates in a file, in order (at least one)."""
    data = _read(path)
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise PkiFileError(f"{path}: expected PEM certificates: {exc}") from exc
    return certs


def identity_of(certificate: x509.Certificate) -> ClientIdentity:
    """Read a client certificate's identity, checking the profile (not the signature, the
    validity or revocation: ``TrustStore.verify_chain`` does all of it)."""
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise CertificateProfileViolation(f"expected an ECDSA P-256 key, found {type(key).__name__}")
    try:
        extensions = certificate.extensions
    except ValueError as exc:
        raise CertificateMalformed(f"certificate extensions do not parse: {exc}") from exc
    basic = _extension(extensions, x509.BasicConstraints, "basicConstraints")
    if basic.ca:
        raise CertificateProfileViolation("expected an end-entity certificate, found a CA certificate")
    usage = _extension(extensions, x509.KeyUsage, "keyUsage")
    if not usage.digital_signature or usage.key_cert_sign:
        raise CertificateProfileViolation("expected key usage digitalSignature only")
    if ExtendedKeyUsageOID.CLIENT_AUTH not in _extension(extensions, x509.ExtendedKeyUsage, "extendedKeyUsage"):
        raise CertificateProfileViolation("expected extended key usage clientAuth")
    san = _extension(extensions, x509.SubjectAlternativeName, "subjectAltName")
    client_id = _single_attribute(certificate.subject, NameOID.COMMON_NAME, "CN")
    organisation = _single_attribute(certificate.subject, NameOID.ORGANIZATION_NAME, "O")
    if not _CLIENT_ID.fullmatch(client_id):
        raise CertificateProfileViolation(f"expected a client id as CN, found {client_id!r}")
    entries = list(san)
    uris = [e.value for e in entries if isinstance(e, x509.UniformResourceIdentifier)]
    if len(uris) != len(entries):
        raise CertificateProfileViolation("expected only urn:yrdx URIs in subjectAltName, found other names")
    roles = [u.removeprefix(ROLE_URI) for u in uris if u.startswith(ROLE_URI)]
    provinces = [u.removeprefix(PROVINCE_URI) for u in uris if u.startswith(PROVINCE_URI)]
    if len(roles) + len(provinces) != len(uris):
        raise CertificateProfileViolation(f"expected only role and province URIs, found {uris}")
    if len(roles) != 1 or roles[0] not in set(Role):
        raise CertificateProfileViolation(f"expected one role URI {ROLE_URI}<{'|'.join(Role)}>, found {roles}")
    role = Role(roles[0])
    expected_provinces = 1 if role is Role.PROVINCE else 0
    members = {p.value for p in Province}
    if len(provinces) != expected_provinces or any(p not in members for p in provinces):
        raise CertificateProfileViolation(
            f"expected {expected_provinces} province URI for role {role.value}, found {provinces}"
        )
    return ClientIdentity(
        client_id=client_id,
        organisation=organisation,
        role=role,
        province=Province(provinces[0]) if provinces else None,
        serial=certificate.serial_number,
        not_after=certificate.not_valid_after_utc,
    )


# -- the trust store


class TrustStore:
    """What a gateway trusts: the consortium root, and its CRL re-read whenever the file changes.

    Every call stats the CRL file (modification time, size, inode); a changed file is parsed,
    its signature checked against the root and its CRL number checked not to go backwards. A
    CRL that is missing or does not verify fails closed: ``TrustStoreUnavailable``.
    """

    def __init__(
        self,
        *,
        root: x509.Certificate,
        crl_path: Path | None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        try:
            root.verify_directly_issued_by(root)
            is_ca = root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound) as exc:
            raise PkiFileError(f"expected a self-signed root CA certificate: {exc}") from exc
        if not is_ca:
            raise PkiFileError("expected a root CA certificate, found an end-entity certificate")
        root_key = root.public_key()
        if not isinstance(root_key, ec.EllipticCurvePublicKey):
            raise PkiFileError(f"expected an ECDSA root key, found {type(root_key).__name__}")
        self._root = root
        self._root_key = root_key
        self._root_der = root.public_bytes(serialization.Encoding.DER)
        self._crl_path = crl_path
        self._clock = clock or _now
        self._lock = threading.Lock()
        self._crl_stamp: tuple[int, int, int] | None = None
        self._crl_number = -1
        self._revoked: dict[int, dt.datetime] = {}

    @classmethod
    def load(
        cls, *, root_path: Path, crl_path: Path | None, clock: Callable[[], dt.datetime] | None = None
    ) -> TrustStore:
        return cls(root=load_certificates(root_path)[0], crl_path=crl_path, clock=clock)

    @property
    def root(self) -> x509.Certificate:
        return self._root

    def verify_chain(self, x5c: Sequence[bytes]) -> ClientIdentity:
        """Validate a client certificate chain (DER, leaf first, as in an ``x5c`` header: RFC
        7515 section 4.1.6) up to the consortium root and return the identity it names.

        Checks the issuer and signature, the validity period, the profile (key, key usage,
        clientAuth, names), RFC 5280 path validation and the current CRL.
        """
        if not x5c:
            raise CertificateMissing("expected the client certificate in x5c, found none")
        if len(x5c) > 2:
            raise CertificateUntrusted(
                f"expected the client certificate and at most the consortium root, found {len(x5c)} certificates"
            )
        try:
            leaf = x509.load_der_x509_certificate(x5c[0])
        except ValueError as exc:
            raise CertificateMalformed(f"expected a DER X.509 certificate: {exc}") from exc
        if len(x5c) == 2 and x5c[1] != self._root_der:
            raise CertificateUntrusted("expected the consortium root as second certificate of x5c")
        if leaf.issuer != self._root.subject:
            raise CertificateUntrusted(
                f"expected a certificate issued by {self._root.subject.rfc4514_string()}, "
                f"found one issued by {leaf.issuer.rfc4514_string()}"
            )
        try:
            leaf.verify_directly_issued_by(self._root)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise CertificateUntrusted(
                "the certificate's signature does not verify with the consortium root key"
            ) from exc
        now = self._clock()
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            raise CertificateExpired(
                f"expected a certificate valid at {now:%Y-%m-%dT%H:%M:%SZ}, found one valid from "
                f"{leaf.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ} to {leaf.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}"
            )
        identity = identity_of(leaf)
        verifier = (
            verification.PolicyBuilder().store(verification.Store([self._root])).time(now).build_client_verifier()
        )
        try:
            verifier.verify(leaf, [])
        except verification.VerificationError as exc:
            raise CertificateUntrusted(f"the chain does not validate to the consortium root: {exc}") from exc
        self.check_not_revoked(leaf.serial_number)
        return identity

    def check_not_revoked(self, serial: int) -> None:
        """Raise ``CertificateRevoked`` if the current CRL lists ``serial``."""
        revoked = self._current_revocations()
        if serial in revoked:
            raise CertificateRevoked(f"certificate {serial:x} was revoked at {revoked[serial]:%Y-%m-%dT%H:%M:%SZ}")

    def _current_revocations(self) -> dict[int, dt.datetime]:
        if self._crl_path is None:
            return {}
        try:
            st = os.stat(self._crl_path)
        except OSError as exc:
            raise TrustStoreUnavailable(f"the CRL {self._crl_path} cannot be read: {exc.strerror}") from exc
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if stamp != self._crl_stamp:
                self._reload(self._crl_path, stamp)
            return self._revoked

    def _reload(self, path: Path, stamp: tuple[int, int, int]) -> None:
        try:
            crl = _load_crl(path)
        except PkiFileError as exc:
            raise TrustStoreUnavailable(str(exc)) from exc
        if crl.issuer != self._root.subject or not crl.is_signature_valid(self._root_key):
            raise TrustStoreUnavailable(f"the CRL {path} is not signed by the consortium root")
        try:
            number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        except x509.ExtensionNotFound as exc:
            raise TrustStoreUnavailable(f"the CRL {path} has no CRL number") from exc
        if number < self._crl_number:
            raise TrustStoreUnavailable(f"the CRL {path} went back from number {self._crl_number} to {number}")
        self._revoked = {entry.serial_number: entry.revocation_date_utc for entry in crl}
        self._crl_number = number
        self._crl_stamp = stamp


# -- helpers

_OID_PBES2 = bytes.fromhex("06092a864886f70d01050d")
_OID_PBKDF2 = bytes.fromhex("06092a864886f70d01050c")
_OID_HMAC_SHA256 = bytes.fromhex("06082a864886f70d0209")
_OID_AES256_CBC = bytes.fromhex("060960864801650304012a")

_REASON_FLAGS = {
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
    RevocationReason.PRIVILEGE_WITHDRAWN: x509.ReasonFlags.privilege_withdrawn,
}


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _der_seq(*parts: bytes) -> bytes:
    return _der(0x30, b"".join(parts))


def _der_int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _organisation(name: str) -> str:
    name = unicodedata.normalize("NFC", name).strip()
    if not name or len(name) > _ORGANISATION_MAX:
        raise IssuanceRefused(f"expected an organisation name of 1 to {_ORGANISATION_MAX} characters, found {name!r}")
    return name


def _extension(extensions: x509.Extensions, kind: type[_E], label: str) -> _E:
    try:
        return extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound as exc:
        raise CertificateProfileViolation(f"expected a {label} extension, found none") from exc


def _single_attribute(name: x509.Name, oid: x509.ObjectIdentifier, label: str) -> str:
    values = name.get_attributes_for_oid(oid)
    if len(values) != 1 or not isinstance(values[0].value, str):
        raise CertificateProfileViolation(f"expected one {label} in the subject, found {len(values)}")
    return values[0].value


def _load_crl(path: Path) -> x509.CertificateRevocationList:
    try:
        return x509.load_pem_x509_crl(_read(path))
    except ValueError as exc:
        raise PkiFileError(f"{path}: expected a PEM CRL: {exc}") from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PkiFileError(f"{path} cannot be read: {exc.strerror}") from exc


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError as exc:
        raise PkiFileError(f"{path} exists; refusing to replace it") from exc
    except OSError as exc:
        raise PkiFileError(f"{path} cannot be written: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` in one step, so that a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PkiFileError(f"{path} cannot be written: {exc.strerror}") from exc


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
