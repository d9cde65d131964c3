"""gateway.pki: the consortium CA, certificates, CRL, trust store, and the ``yrdx pki`` CLI."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from typer.testing import CliRunner

from adapters.core.provinces import Province
from gateway import errors, pki
from yrdx.commands import pki as pki_cli

NOW = dt.datetime(2030, 3, 1, 8, 0, tzinfo=dt.UTC)
CA_PASSWORD = b"consortium root password"
KEY_PASSWORD = b"client key password"
FAST_KDF = 1000  # the default's 600 000 rounds are for keys at rest, not for every test
ZJ_ORG = "浙江省公共信用信息平台"


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def ca() -> pki.CertificateAuthority:
    return pki.CertificateAuthority.create(now=NOW)


@pytest.fixture
def ca_dir(tmp_path: Path) -> Path:
    pki.init_ca(tmp_path / "ca", password=CA_PASSWORD, now=NOW, kdf_iterations=FAST_KDF)
    return tmp_path / "ca"


@pytest.fixture
def opened(ca_dir: Path) -> pki.CertificateAuthority:
    return pki.open_ca(ca_dir, password=CA_PASSWORD)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def store(opened: pki.CertificateAuthority, ca_dir: Path, clock: Clock) -> pki.TrustStore:
    return pki.TrustStore(root=opened.certificate, crl_path=ca_dir / pki.CRL_FILE, clock=clock)


def issue(
    ca: pki.CertificateAuthority,
    role: pki.Role = pki.Role.AGENCY,
    province: Province | None = None,
    *,
    organisation: str = "征信示范机构有限公司",
    validity: dt.timedelta = dt.timedelta(days=365),
    now: dt.datetime = NOW,
) -> x509.Certificate:
    return ca.issue(
        pki.generate_key().public_key(),
        organisation=organisation,
        role=role,
        province=province,
        validity=validity,
        now=now,
    )


def custom_leaf(
    ca: pki.CertificateAuthority,
    *,
    san: list[x509.GeneralName] | None = None,
    eku: list[x509.ObjectIdentifier] | None = None,
    digital_signature: bool = True,
    common_name: str = "agency-custom",
) -> x509.Certificate:
    """A certificate signed by the CA but built outside its profile."""
    key = pki.generate_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Custom"),
                    x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                ]
            )
        )
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=False,
                key_encipherment=not digital_signature,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(eku or [ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(san or [x509.UniformResourceIdentifier("urn:yrdx:role:agency")]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    return builder.sign(ca.key, hashes.SHA256())


def refused(call: Callable[[], object], kind: type[errors.GatewayError], match: str = "") -> errors.GatewayError:
    """The error ``call`` raises: exactly of type ``kind``, its message containing ``match``."""
    with pytest.raises(kind, match=re.escape(match) if match else None) as info:
        call()
    assert type(info.value) is kind
    return info.value


# -- identities and the certificate profile


def test_client_ids_are_stable_and_tell_organisations_and_roles_apart() -> None:
    zj = pki.client_id_for(ZJ_ORG, pki.Role.PROVINCE, Province.ZJ)
    assert zj == pki.client_id_for(f"  {ZJ_ORG} ", pki.Role.PROVINCE, Province.ZJ)
    assert zj.startswith("province-zj-") and len(zj) == len("province-zj-") + 16
    assert pki.client_id_for(ZJ_ORG, pki.Role.AUDITOR) != pki.client_id_for(ZJ_ORG, pki.Role.AGENCY)
    assert pki.client_id_for("甲公司", pki.Role.AGENCY) != pki.client_id_for("乙公司", pki.Role.AGENCY)
    # One name in two Unicode forms is one organisation.
    assert pki.client_id_for("Cafe\u0301", pki.Role.AGENCY) == pki.client_id_for("Caf\u00e9", pki.Role.AGENCY)


def test_the_root_is_a_self_signed_p256_ca(ca: pki.CertificateAuthority) -> None:
    root = ca.certificate
    root.verify_directly_issued_by(root)
    assert isinstance(root.public_key(), ec.EllipticCurvePublicKey)
    assert root.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]
    basic = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    usage = root.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature
    assert root.not_valid_after_utc - NOW == dt.timedelta(days=3650)


def test_a_province_certificate_names_organisation_role_and_province(ca: pki.CertificateAuthority) -> None:
    cert = issue(ca, pki.Role.PROVINCE, Province.ZJ, organisation=ZJ_ORG)
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == ZJ_ORG
    client_id = subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert client_id == pki.client_id_for(ZJ_ORG, pki.Role.PROVINCE, Province.ZJ)
    utf8 = ZJ_ORG.encode()
    assert bytes([0x0C, len(utf8)]) + utf8 in cert.tbs_certificate_bytes  # a UTF8String
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [
        "urn:yrdx:role:province",
        "urn:yrdx:province:zj",
    ]
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.not_valid_after_utc - NOW == dt.timedelta(days=365)
    cert.verify_directly_issued_by(ca.certificate)

    who = pki.identity_of(cert)
    assert (who.client_id, who.organisation, who.role, who.province) == (
        client_id,
        ZJ_ORG,
        pki.Role.PROVINCE,
        Province.ZJ,
    )
    assert who.serial == cert.serial_number and who.not_after == cert.not_valid_after_utc


def test_serials_are_random_and_long(ca: pki.CertificateAuthority) -> None:
    serials = {issue(ca).serial_number for _ in range(8)}
    assert len(serials) == 8
    assert max(serials).bit_length() > 100


def test_validity_is_configurable(ca: pki.CertificateAuthority) -> None:
    cert = issue(ca, validity=dt.timedelta(days=30))
    assert cert.not_valid_after_utc - NOW == dt.timedelta(days=30)


@pytest.mark.parametrize(
    ("role", "province", "match"),
    [
        (pki.Role.PROVINCE, None, "found role province with province None"),
        (pki.Role.AGENCY, Province.ZJ, "found role agency with province 'zj'"),
    ],
)
def test_issuance_refuses_a_wrong_province(
    ca: pki.CertificateAuthority, role: pki.Role, province: Province | None, match: str
) -> None:
    refused(lambda: issue(ca, role, province), errors.IssuanceRefused, match)


def test_issuance_refuses_bad_names_and_keys(ca: pki.CertificateAuthority) -> None:
    refused(lambda: issue(ca, organisation="  "), errors.IssuanceRefused, "organisation name")
    refused(lambda: issue(ca, organisation="名" * 65), errors.IssuanceRefused, "organisation name")
    key = pki.generate_key().public_key()
    refused(
        lambda: ca.issue(key, organisation="X", role=pki.Role.AGENCY, client_id="Bad Id"),
        errors.IssuanceRefused,
        "client id",
    )
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    refused(lambda: ca.issue(p384, organisation="X", role=pki.Role.AGENCY), errors.IssuanceRefused, "P-256")


# -- keys at rest


def test_keys_are_encrypted_with_pbes2_and_open_with_the_password_only() -> None:
    key = pki.generate_key()
    pem = pki.encrypt_private_key(key, KEY_PASSWORD, kdf_iterations=FAST_KDF)
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    opened = pki.load_private_key(pem, KEY_PASSWORD)
    assert opened.private_numbers() == key.private_numbers()
    refused(lambda: pki.load_private_key(pem, b"not the password"), errors.KeyUnlockFailed, "does not open")
    refused(lambda: pki.encrypt_private_key(key, b"short"), errors.IssuanceRefused, "at least 12 bytes, found 5")


def test_the_default_kdf_is_600000_rounds_of_pbkdf2() -> None:
    pem = pki.encrypt_private_key(pki.generate_key(), KEY_PASSWORD)
    body = b"".join(pem.splitlines()[1:-1])
    info = base64.b64decode(body)
    assert bytes.fromhex("06092a864886f70d01050d") in info  # PBES2
    assert bytes.fromhex("02030927c0") in info  # INTEGER 600000
    assert bytes.fromhex("060960864801650304012a") in info  # aes256-CBC


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl tool")
def test_openssl_opens_the_keys(tmp_path: Path) -> None:
    key = pki.generate_key()
    (tmp_path / "key.pem").write_bytes(pki.encrypt_private_key(key, KEY_PASSWORD, kdf_iterations=FAST_KDF))
    (tmp_path / "pw").write_bytes(KEY_PASSWORD)
    out = subprocess.run(
        ["openssl", "pkey", "-in", tmp_path / "key.pem", "-passin", f"file:{tmp_path / 'pw'}", "-pubout"],
        capture_output=True,
        check=True,
    ).stdout
    assert out == key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# -- directories


def test_init_writes_the_ca_directory(ca_dir: Path) -> None:
    assert stat.S_IMODE(os.stat(ca_dir / pki.CA_KEY).st_mode) == 0o600
    root = pki.load_certificates(ca_dir / pki.CA_CERT)[0]
    crl = x509.load_pem_x509_crl((ca_dir / pki.CRL_FILE).read_bytes())
    assert crl.is_signature_valid(root.public_key())  # type: ignore[arg-type]
    assert len(crl) == 0
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1
    refused(lambda: pki.init_ca(ca_dir, password=CA_PASSWORD), errors.PkiFileError, "already holds a CA")
    refused(lambda: pki.open_ca(ca_dir, password=b"wrong password!"), errors.KeyUnlockFailed)


def test_issue_client_writes_key_certificate_and_chain(
    opened: pki.CertificateAuthority, ca_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "zj"
    issued = pki.issue_client(
        opened,
        ca_dir,
        out,
        key_password=KEY_PASSWORD,
        organisation=ZJ_ORG,
        role=pki.Role.PROVINCE,
        province=Province.ZJ,
        now=NOW,
        kdf_iterations=FAST_KDF,
    )
    assert issued.identity.province is Province.ZJ
    assert stat.S_IMODE(os.stat(out / "key.pem").st_mode) == 0o600
    key = pki.load_private_key((out / "key.pem").read_bytes(), KEY_PASSWORD)
    cert = pki.load_certificates(out / "cert.pem")[0]
    chain = pki.load_certificates(out / "chain.pem")
    assert [der(c) for c in chain] == [der(cert), der(opened.certificate)]
    assert cert.public_key() == key.public_key()
    assert (ca_dir / "issued" / f"{cert.serial_number:040x}.pem").read_bytes() == (out / "cert.pem").read_bytes()
    refused(
        lambda: pki.issue_client(
            opened, ca_dir, out, key_password=KEY_PASSWORD, organisation="X", role=pki.Role.AUDITOR
        ),
        errors.PkiFileError,
        "exists",
    )


# -- the trust store


def test_a_valid_chain_yields_the_identity(opened: pki.CertificateAuthority, store: pki.TrustStore) -> None:
    cert = issue(opened, pki.Role.PROVINCE, Province.AH, organisation="安徽省信用中心")
    who = store.verify_chain([der(cert)])
    assert who == pki.ClientIdentity(
        client_id=pki.client_id_for("安徽省信用中心", pki.Role.PROVINCE, Province.AH),
        organisation="安徽省信用中心",
        role=pki.Role.PROVINCE,
        province=Province.AH,
        serial=cert.serial_number,
        not_after=cert.not_valid_after_utc,
    )
    assert store.verify_chain([der(cert), der(opened.certificate)]) == who
    auditor = store.verify_chain([der(issue(opened, pki.Role.AUDITOR))])
    assert auditor.role is pki.Role.AUDITOR and auditor.province is None


def test_refusals_of_chains(opened: pki.CertificateAuthority, store: pki.TrustStore) -> None:
    cert = issue(opened)
    other = pki.CertificateAuthority.create(organisation="Elsewhere", common_name="Other Root", now=NOW)
    impostor = pki.CertificateAuthority.create(now=NOW)  # the same name as the consortium root
    refused(lambda: store.verify_chain([]), errors.CertificateMissing)
    refused(lambda: store.verify_chain([b"\x30\x03\x02\x01\x01"]), errors.CertificateMalformed)
    refused(
        lambda: store.verify_chain([der(issue(other))]),
        errors.CertificateUntrusted,
        "expected a certificate issued by CN=YRDX Consortium Root CA,O=YRDX Consortium, found one issued by "
        "CN=Other Root,O=Elsewhere",
    )
    refused(lambda: store.verify_chain([der(issue(impostor))]), errors.CertificateUntrusted, "does not verify")
    refused(lambda: store.verify_chain([der(cert), der(other.certificate)]), errors.CertificateUntrusted)
    refused(
        lambda: store.verify_chain([der(cert), der(opened.certificate), der(opened.certificate)]),
        errors.CertificateUntrusted,
        "found 3 certificates",
    )
    refused(lambda: store.verify_chain([der(opened.certificate)]), errors.CertificateProfileViolation, "CA")


@pytest.mark.parametrize(
    ("when", "match"),
    [
        (NOW + dt.timedelta(days=31), "valid from 2030-03-01T07:55:00Z to 2030-03-31T08:00:00Z"),
        (NOW - dt.timedelta(minutes=6), "expected a certificate valid at 2030-03-01T07:54:00Z"),
    ],
)
def test_a_certificate_outside_its_validity_is_refused(
    opened: pki.CertificateAuthority, store: pki.TrustStore, clock: Clock, when: dt.datetime, match: str
) -> None:
    cert = issue(opened, validity=dt.timedelta(days=30))
    clock.now = when
    refused(lambda: store.verify_chain([der(cert)]), errors.CertificateExpired, match)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda ca: custom_leaf(ca, eku=[ExtendedKeyUsageOID.SERVER_AUTH]), "clientAuth"),
        (lambda ca: custom_leaf(ca, digital_signature=False), "digitalSignature"),
        (
            lambda ca: custom_leaf(
                ca,
                san=[x509.UniformResourceIdentifier("urn:yrdx:role:agency"), x509.DNSName("agency.example")],
            ),
            "only urn:yrdx URIs",
        ),
        (
            lambda ca: custom_leaf(
                ca,
                san=[
                    x509.UniformResourceIdentifier("urn:yrdx:role:agency"),
                    x509.UniformResourceIdentifier("urn:yrdx:role:auditor"),
                ],
            ),
            "expected one role URI",
        ),
        (
            lambda ca: custom_leaf(ca, san=[x509.UniformResourceIdentifier("urn:yrdx:role:admin")]),
            "expected one role URI",
        ),
        (
            lambda ca: custom_leaf(
                ca,
                san=[
                    x509.UniformResourceIdentifier("urn:yrdx:role:agency"),
                    x509.UniformResourceIdentifier("urn:yrdx:province:zj"),
                ],
            ),
            "expected 0 province URI for role agency",
        ),
        (
            lambda ca: custom_leaf(ca, san=[x509.UniformResourceIdentifier("urn:yrdx:role:province")]),
            "expected 1 province URI for role province",
        ),
        (lambda ca: custom_leaf(ca, common_name="Not An Id"), "client id as CN"),
    ],
)
def test_certificates_outside_the_profile_are_refused(
    opened: pki.CertificateAuthority,
    store: pki.TrustStore,
    build: Callable[[pki.CertificateAuthority], x509.Certificate],
    match: str,
) -> None:
    refused(lambda: store.verify_chain([der(build(opened))]), errors.CertificateProfileViolation, match)


def test_a_revocation_takes_effect_without_a_new_trust_store(
    opened: pki.CertificateAuthority, ca_dir: Path, store: pki.TrustStore
) -> None:
    bad, good = issue(opened), issue(opened)
    store.verify_chain([der(bad)])
    assert pki.revoke(opened, ca_dir, bad, reason=pki.RevocationReason.KEY_COMPROMISE, now=NOW) is True
    refused(lambda: store.verify_chain([der(bad)]), errors.CertificateRevoked, f"{bad.serial_number:x} was revoked")
    refused(lambda: store.check_not_revoked(bad.serial_number), errors.CertificateRevoked)
    store.verify_chain([der(good)])
    assert pki.revoke(opened, ca_dir, bad) is False  # already listed: the CRL is left alone

    crl = x509.load_pem_x509_crl((ca_dir / pki.CRL_FILE).read_bytes())
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2
    entry = crl.get_revoked_certificate_by_serial_number(bad.serial_number)
    assert entry is not None and pki.revocation_reason(entry) is pki.RevocationReason.KEY_COMPROMISE


def test_an_unspecified_reason_is_left_out_of_the_entry(opened: pki.CertificateAuthority, ca_dir: Path) -> None:
    cert = issue(opened)
    pki.revoke(opened, ca_dir, cert, now=NOW)
    entry = x509.load_pem_x509_crl((ca_dir / pki.CRL_FILE).read_bytes()).get_revoked_certificate_by_serial_number(
        cert.serial_number
    )
    assert entry is not None and len(entry.extensions) == 0
    assert pki.revocation_reason(entry) is pki.RevocationReason.UNSPECIFIED


def test_the_crl_is_parsed_only_when_the_file_changes(
    opened: pki.CertificateAuthority, ca_dir: Path, store: pki.TrustStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses = []
    real = x509.load_pem_x509_crl

    def counting(data: bytes) -> x509.CertificateRevocationList:
        parses.append(1)
        return real(data)

    monkeypatch.setattr(x509, "load_pem_x509_crl", counting)
    cert = issue(opened)
    for _ in range(5):
        store.verify_chain([der(cert)])
    assert len(parses) == 1
    pki.revoke(opened, ca_dir, issue(opened), now=NOW)  # re-signs: 1 parse to read, 1 to reload
    store.verify_chain([der(cert)])
    store.verify_chain([der(cert)])
    assert len(parses) == 3


def test_revoking_a_foreign_certificate_is_refused(opened: pki.CertificateAuthority, ca_dir: Path) -> None:
    other = pki.CertificateAuthority.create(organisation="Elsewhere", now=NOW)
    refused(
        lambda: pki.revoke(opened, ca_dir, issue(other)), errors.IssuanceRefused, "expected a certificate issued by"
    )


def test_a_crl_that_cannot_be_trusted_fails_closed(
    opened: pki.CertificateAuthority, ca_dir: Path, store: pki.TrustStore
) -> None:
    cert = issue(opened)
    store.verify_chain([der(cert)])
    crl_path = ca_dir / pki.CRL_FILE
    signed_by_us = crl_path.read_bytes()

    foreign = pki.CertificateAuthority.create(now=NOW)  # same name, other key
    crl_path.write_bytes(foreign.sign_crl([], number=9, now=NOW).public_bytes(serialization.Encoding.PEM))
    refused(lambda: store.verify_chain([der(cert)]), errors.TrustStoreUnavailable, "not signed by the consortium root")

    crl_path.write_bytes(b"garbage")
    refused(lambda: store.verify_chain([der(cert)]), errors.TrustStoreUnavailable, "expected a PEM CRL")

    crl_path.unlink()
    refused(lambda: store.verify_chain([der(cert)]), errors.TrustStoreUnavailable, "cannot be read")

    crl_path.write_bytes(signed_by_us)
    store.verify_chain([der(cert)])


def test_a_crl_number_going_back_fails_closed(
    opened: pki.CertificateAuthority, ca_dir: Path, store: pki.TrustStore
) -> None:
    cert = issue(opened)
    crl_path = ca_dir / pki.CRL_FILE
    first = crl_path.read_bytes()
    pki.revoke(opened, ca_dir, issue(opened), now=NOW)
    store.verify_chain([der(cert)])
    crl_path.write_bytes(first)  # an older CRL, validly signed, that lacks the revocation
    refused(lambda: store.verify_chain([der(cert)]), errors.TrustStoreUnavailable, "went back from number 2 to 1")


def test_a_trust_store_needs_a_root_ca(opened: pki.CertificateAuthority) -> None:
    refused(lambda: pki.TrustStore(root=issue(opened), crl_path=None), errors.PkiFileError)


# -- the CLI


def run(args: list[str], env: Mapping[str, str | None] | None = None) -> tuple[int, str]:
    base: dict[str, str | None] = {
        pki_cli.CA_PASSWORD_ENV: None,
        pki_cli.KEY_PASSWORD_ENV: None,
        pki_cli.CA_DIR_ENV: None,
    }
    result = CliRunner().invoke(pki_cli.app, args, env={**base, **(env or {})})
    return result.exit_code, result.output


def test_cli_init_issue_verify_revoke(tmp_path: Path) -> None:
    ca, out = tmp_path / "ca", tmp_path / "zj"
    (tmp_path / "ca-pw").write_bytes(CA_PASSWORD + b"\n")  # a trailing newline is not part of it
    code, output = run(["init", "--dir", str(ca), "--password-file", str(tmp_path / "ca-pw")])
    assert code == 0, output
    assert "created CA CN=YRDX Consortium Root CA,O=YRDX Consortium" in output

    env = {pki_cli.CA_PASSWORD_ENV: CA_PASSWORD.decode(), pki_cli.KEY_PASSWORD_ENV: KEY_PASSWORD.decode()}
    code, output = run(
        ["issue", "--org", ZJ_ORG, "--role", "province", "--province", "ZJ", "--out", str(out), "--ca", str(ca)],
        env,
    )
    assert code == 0, output
    client_id = pki.client_id_for(ZJ_ORG, pki.Role.PROVINCE, Province.ZJ)
    assert f"issued {client_id} ({ZJ_ORG}, province, zj)" in output
    pki.load_private_key((out / "key.pem").read_bytes(), KEY_PASSWORD)

    verify = ["verify", "--cert", str(out / "chain.pem"), "--root", str(ca / "ca.pem"), "--crl", str(ca / "crl.pem")]
    code, output = run(verify)
    assert code == 0 and f"valid: {client_id}" in output

    code, output = run(
        ["revoke", "--cert", str(out / "cert.pem"), "--reason", "key-compromise"], {**env, pki_cli.CA_DIR_ENV: str(ca)}
    )
    assert code == 0 and "revoked CN=" in output and "key-compromise" in output
    code, output = run(verify)
    assert code == 2 and "was revoked" in output


def test_cli_issue_reads_passwords_from_files(tmp_path: Path) -> None:
    ca = tmp_path / "ca"
    pki.init_ca(ca, password=CA_PASSWORD, kdf_iterations=FAST_KDF)
    (tmp_path / "ca-pw").write_bytes(CA_PASSWORD)
    (tmp_path / "key-pw").write_bytes(KEY_PASSWORD + b"\r\n")
    code, output = run(
        [
            "issue",
            "--org",
            "Audit Office",
            "--role",
            "auditor",
            "--out",
            str(tmp_path / "audit"),
            "--ca",
            str(ca),
            "--ca-password-file",
            str(tmp_path / "ca-pw"),
            "--password-file",
            str(tmp_path / "key-pw"),
            "--validity-days",
            "30",
        ]
    )
    assert code == 0, output
    pki.load_private_key((tmp_path / "audit" / "key.pem").read_bytes(), KEY_PASSWORD)
    cert = pki.load_certificates(tmp_path / "audit" / "cert.pem")[0]
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == dt.timedelta(days=30, minutes=5)


def test_cli_refusals_are_one_line_errors(tmp_path: Path) -> None:
    ca = tmp_path / "ca"
    code, output = run(["init", "--dir", str(ca)])
    assert code == 2 and "no CA key password: give a password file or set YRDX_PKI_PASSWORD" in output
    assert not ca.exists()

    pki.init_ca(ca, password=CA_PASSWORD, kdf_iterations=FAST_KDF)
    issue_zj = ["issue", "--org", "X", "--role", "agency", "--province", "zj", "--out", str(tmp_path / "x")]
    code, output = run([*issue_zj, "--ca", str(ca)], {pki_cli.CA_PASSWORD_ENV: "wrong password!"})
    assert code == 2 and "does not open with this password" in output
    env = {pki_cli.CA_PASSWORD_ENV: CA_PASSWORD.decode(), pki_cli.KEY_PASSWORD_ENV: KEY_PASSWORD.decode()}
    code, output = run([*issue_zj, "--ca", str(ca)], env)
    assert code == 2 and "expected a province exactly for role province" in output
    code, output = run(["issue", "--org", "X", "--role", "admin", "--out", "x", "--ca", str(ca)], env)
    assert code == 2 and "admin" in output  # not one of the roles
    bj = ["issue", "--org", "X", "--role", "province", "--province", "bj", "--out", str(tmp_path / "bj")]
    code, output = run([*bj, "--ca", str(ca)], env)
    assert code == 2 and "unknown province 'bj': expected one of sh, js, zj, ah" in output


def test_the_pki_commands_are_registered() -> None:
    from yrdx.cli import app

    result = CliRunner().invoke(app, ["pki", "--help"])
    assert result.exit_code == 0
    for command in ("init", "issue", "revoke", "verify"):
        assert command in result.output
