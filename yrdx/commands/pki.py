"""``yrdx pki``: the consortium root CA, client certificates and the revocation list."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives import hashes, serialization

from adapters.core.provinces import Province
from gateway import pki
from gateway.errors import GatewayError, IssuanceRefused, PkiError

app = typer.Typer(help="Consortium PKI: root CA, client certificates, revocation.", no_args_is_help=True)

CA_PASSWORD_ENV = "YRDX_PKI_PASSWORD"  # noqa: S105 - a variable name, not a password
KEY_PASSWORD_ENV = "YRDX_KEY_PASSWORD"  # noqa: S105 - a variable name, not a password
CA_DIR_ENV = "YRDX_PKI_DIR"

CaDir = Annotated[
    Path,
    typer.Option("--ca", envvar=CA_DIR_ENV, help=f"The CA directory made by `yrdx pki init` ({CA_DIR_ENV})."),
]
CaPasswordFile = Annotated[
    Path | None,
    typer.Option("--ca-password-file", help=f"File holding the CA key's password (else {CA_PASSWORD_ENV})."),
]


def _password(file: Path | None, env: str, *, what: str, new: bool) -> bytes:
    """A password from a file, else the environment, else a prompt on a terminal."""
    if file is not None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise PkiError(f"{file} cannot be read: {exc.strerror}") from exc
        return data.removesuffix(b"\n").removesuffix(b"\r")
    if env in os.environ:
        return os.environ[env].encode()
    if sys.stdin.isatty():
        return str(typer.prompt(f"{what} password", hide_input=True, confirmation_prompt=new)).encode()
    raise PkiError(f"no {what} password: give a password file or set {env}")


def _fail(exc: GatewayError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


@app.command()
def init(
    directory: Annotated[Path, typer.Option("--dir", help="Directory to create the CA in.")],
    organisation: Annotated[str, typer.Option("--org", help="Organisation named by the root.")] = "YRDX Consortium",
    common_name: Annotated[str, typer.Option("--name", help="Common name of the root.")] = "YRDX Consortium Root CA",
    validity_days: Annotated[int, typer.Option("--validity-days", min=1, help="Validity of the root.")] = 3650,
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help=f"File holding the new CA key's password (else {CA_PASSWORD_ENV})."),
    ] = None,
) -> None:
    """Create the consortium root CA: ca.pem, the encrypted ca-key.pem and an empty crl.pem."""
    try:
        password = _password(password_file, CA_PASSWORD_ENV, what="CA key", new=True)
        ca = pki.init_ca(
            directory,
            password=password,
            organisation=organisation,
            common_name=common_name,
            validity=dt.timedelta(days=validity_days),
        )
    except GatewayError as exc:
        raise _fail(exc) from exc
    cert = ca.certificate
    typer.echo(f"created CA {cert.subject.rfc4514_string()} in {directory}")
    typer.echo(f"  valid until {cert.not_valid_after_utc:%Y-%m-%d}, SHA-256 {cert.fingerprint(hashes.SHA256()).hex()}")


@app.command()
def issue(
    organisation: Annotated[str, typer.Option("--org", help="The client organisation's name (UTF-8).")],
    role: Annotated[pki.Role, typer.Option("--role", help="The organisation's role.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for key.pem, cert.pem and chain.pem.")],
    ca_dir: CaDir,
    province: Annotated[
        str | None,
        typer.Option("--province", help=f"For role province: one of {', '.join(p.value for p in Province)}."),
    ] = None,
    client_id: Annotated[
        str | None, typer.Option("--client-id", help="Client id (CN); derived from organisation and role if not given.")
    ] = None,
    validity_days: Annotated[int, typer.Option("--validity-days", min=1, help="Validity of the certificate.")] = 365,
    ca_password_file: CaPasswordFile = None,
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help=f"File holding the new key's password (else {KEY_PASSWORD_ENV})."),
    ] = None,
) -> None:
    """Issue a key pair and a client certificate naming the organisation, its role and province."""
    try:
        ca = pki.open_ca(ca_dir, password=_password(ca_password_file, CA_PASSWORD_ENV, what="CA key", new=False))
        issued = pki.issue_client(
            ca,
            ca_dir,
            out,
            key_password=_password(password_file, KEY_PASSWORD_ENV, what="new key", new=True),
            organisation=organisation,
            role=role,
            province=_province(province),
            client_id=client_id,
            validity=dt.timedelta(days=validity_days),
        )
    except GatewayError as exc:
        raise _fail(exc) from exc
    who = issued.identity
    typer.echo(f"issued {who.client_id} ({who.organisation}, {who.role.value}{_in(who.province)})")
    typer.echo(f"  serial {who.serial:x}, valid until {who.not_after:%Y-%m-%d}")
    typer.echo(f"  wrote {issued.key_path}, {issued.cert_path}, {issued.chain_path}")


@app.command()
def revoke(
    ca_dir: CaDir,
    cert: Annotated[Path, typer.Option("--cert", help="The certificate to revoke (PEM).")],
    reason: Annotated[
        pki.RevocationReason, typer.Option("--reason", help="Why (RFC 5280 reason code).")
    ] = pki.RevocationReason.UNSPECIFIED,
    ca_password_file: CaPasswordFile = None,
) -> None:
    """Add a certificate to the CRL (crl.pem in the CA directory); gateways honour it at once."""
    try:
        certificate = pki.load_certificates(cert)[0]
        ca = pki.open_ca(ca_dir, password=_password(ca_password_file, CA_PASSWORD_ENV, what="CA key", new=False))
        added = pki.revoke(ca, ca_dir, certificate, reason=reason)
    except GatewayError as exc:
        raise _fail(exc) from exc
    subject = certificate.subject.rfc4514_string()
    if added:
        typer.echo(f"revoked {subject} (serial {certificate.serial_number:x}, {reason.value})")
    else:
        typer.echo(f"{subject} (serial {certificate.serial_number:x}) was already revoked")


@app.command()
def verify(
    cert: Annotated[Path, typer.Option("--cert", help="Client certificate or chain (PEM, leaf first).")],
    root: Annotated[Path, typer.Option("--root", help="The consortium root certificate (ca.pem).")],
    crl: Annotated[Path | None, typer.Option("--crl", help="The consortium CRL (crl.pem).")] = None,
) -> None:
    """Check a client certificate as a gateway would, and show the identity it names."""
    try:
        store = pki.TrustStore.load(root_path=root, crl_path=crl)
        chain = [c.public_bytes(serialization.Encoding.DER) for c in pki.load_certificates(cert)]
        who = store.verify_chain(chain)
    except GatewayError as exc:
        raise _fail(exc) from exc
    typer.echo(f"valid: {who.client_id} ({who.organisation}, {who.role.value}{_in(who.province)})")
    typer.echo(f"  serial {who.serial:x}, valid until {who.not_after:%Y-%m-%d}")


def _province(value: str | None) -> Province | None:
    if value is None:
        return None
    try:
        return Province.parse(value)
    except ValueError as exc:
        raise IssuanceRefused(str(exc)) from exc


def _in(province: Province | None) -> str:
    return f", {province.value}" if province else ""
