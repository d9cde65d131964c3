"""``yrdx gateway``: a province's gateway on a development data dir, and the wiring that runs
all four in one process (``start_gateways``, for ``yrdx up``).

A development data dir gains, next to what ``yrdx.context`` lays out::

    pki/ca/                      the development consortium CA (ca.pem, crl.pem, encrypted key)
    pki/clients/<name>/          development client credentials: province-<p>, agency, auditor
    gateways/<p>/gateway.db      each gateway's database (audit trail, ledger index, assertion ids)
    gateways/<p>/token-key.pem   each gateway's access-token signing key (encrypted)

All keys are encrypted with the data dir's keystore password. Settings come from the
environment (``YRDX_GATEWAY_*``, see ``gateway.settings``); what is not set there is taken
from the data dir.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import SecretStr

from adapters.core.errors import AdapterError
from adapters.core.provinces import PROVINCES, Province
from adapters.store import Store
from gateway import console, pki
from gateway.credentials import ClientCredentials
from gateway.db import sqlite_dsn
from gateway.errors import GatewayError
from gateway.peers import HttpPackageSource
from gateway.runtime import Gateway, open_gateway
from gateway.server import GatewayFleet, server_config
from gateway.settings import GatewaySettings
from node.client import LedgerClient
from node.errors import LedgerError
from yrdx.context import DEFAULT_DATA_DIR, DEV_KDF_ITERATIONS, DataDir

app = typer.Typer(help="The province gateways.", no_args_is_help=True)

AGENCY, AUDITOR = "agency", "auditor"
ORGANISATIONS = {AGENCY: "长三角征信示范机构有限公司", AUDITOR: "长三角公共信用审计示范中心"}


def pki_dir(dd: DataDir) -> Path:
    return dd.root / "pki"


def client_dir(dd: DataDir, name: str) -> Path:
    """Credentials of a development client: ``province-<p>``, ``agency`` or ``auditor``."""
    return pki_dir(dd) / "clients" / name


def gateway_dir(dd: DataDir, province: Province) -> Path:
    return dd.root / "gateways" / province.value


def ensure_dev_pki(dd: DataDir) -> None:
    """Create the development CA, client credentials and token keys that are missing."""
    password = dd.password()
    ca_dir = pki_dir(dd) / "ca"
    if not (ca_dir / pki.CA_CERT).exists():
        pki.init_ca(
            ca_dir,
            password=password,
            organisation="YRDX Development Consortium",
            common_name="YRDX Development Root CA",
            kdf_iterations=DEV_KDF_ITERATIONS,
        )
    ca: pki.CertificateAuthority | None = None
    wanted: list[tuple[str, pki.Role, Province | None, str]] = [
        (f"province-{p.value}", pki.Role.PROVINCE, p, f"{p.name_zh}公共信用信息平台") for p in PROVINCES
    ]
    wanted += [(AGENCY, pki.Role.AGENCY, None, ORGANISATIONS[AGENCY])]
    wanted += [(AUDITOR, pki.Role.AUDITOR, None, ORGANISATIONS[AUDITOR])]
    for name, role, province, organisation in wanted:
        out = client_dir(dd, name)
        if (out / pki.CHAIN_FILE).exists():
            continue
        ca = ca or pki.open_ca(ca_dir, password=password)
        pki.issue_client(
            ca,
            ca_dir,
            out,
            key_password=password,
            organisation=organisation,
            role=role,
            province=province,
            kdf_iterations=DEV_KDF_ITERATIONS,
        )
    for p in PROVINCES:
        key_path = gateway_dir(dd, p) / "token-key.pem"
        if not key_path.exists():
            key_path.parent.mkdir(parents=True, exist_ok=True)
            pem = pki.encrypt_private_key(pki.generate_key(), password, kdf_iterations=DEV_KDF_ITERATIONS)
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(pem)


def dev_credentials(dd: DataDir, name: str) -> ClientCredentials:
    """The development client ``name``'s credentials, opened with the data dir's password."""
    return ClientCredentials.load(client_dir(dd, name), password=dd.password())


def gateway_settings(
    dd: DataDir, province: Province, *, port: int | None = None, one_of_several: bool = False
) -> GatewaySettings:
    """The gateway's settings: the environment's, completed from the data dir.

    With ``one_of_several`` (several gateways in one process) what must differ between
    gateways — port, database, gateway id, public URL, token key — comes from the data dir and
    the province, never from the one environment they share.
    """
    settings = GatewaySettings(province=province)
    if one_of_several:
        settings = settings.model_copy(
            update={
                "port": None,
                "database_url": None,
                "gateway_id": None,
                "public_url": None,
                "token_key": None,
                "token_key_password_file": None,
                "token_key_password": None,
            }
        )
    ca_dir = pki_dir(dd) / "ca"
    fill: dict[str, object] = {
        "port": port or settings.port,
        "database_url": settings.database_url or sqlite_dsn(gateway_dir(dd, province) / "gateway.db"),
        "ca_cert": settings.ca_cert or ca_dir / pki.CA_CERT,
        "crl": settings.crl or ca_dir / pki.CRL_FILE,
        "token_key": settings.token_key or gateway_dir(dd, province) / "token-key.pem",
    }
    if settings.token_key_passphrase() is None:
        fill["token_key_password"] = SecretStr(dd.password().decode("utf-8"))
    return settings.model_copy(update=fill)


def open_dev_gateway(
    dd: DataDir,
    province: Province,
    *,
    rpc_url: str,
    client: LedgerClient | None = None,
    store: Store | None = None,
    port: int | None = None,
    settings: GatewaySettings | None = None,
) -> Gateway:
    """The gateway of ``province`` on the data dir; ``client`` and ``store`` are shared with the
    province's other components when given. ``settings`` replaces ``gateway_settings``."""
    ensure_dev_pki(dd)
    settings = settings or gateway_settings(dd, province, port=port)
    assert settings.ca_cert is not None and settings.token_key is not None
    passphrase = settings.token_key_passphrase() or b""
    client = client or dd.province_client(province, rpc_url=rpc_url)
    deployment = dd.deployment()
    gateway = open_gateway(
        settings,
        store=store or dd.open_store(province),
        client=client,
        deployment=deployment,
        keyring=dd.keyring(),
        trust=pki.TrustStore.load(root_path=settings.ca_cert, crl_path=settings.crl),
        signing_key=pki.load_private_key(settings.token_key.read_bytes(), passphrase),
    )
    console.attach(gateway, client=client, deployment=deployment)
    return gateway


def start_gateways(
    dd: DataDir,
    *,
    rpc_url: str,
    provinces: Sequence[Province] = PROVINCES,
    clients: Mapping[Province, LedgerClient] | None = None,
    stores: Mapping[Province, Store] | None = None,
    ports: Mapping[Province, int] | None = None,
) -> GatewayFleet:
    """Start the gateways of ``provinces`` in this process, on 127.0.0.1:8101-8104 unless
    ``ports`` says otherwise, sharing the provinces' ledger clients and stores when given.
    Stop them with ``GatewayFleet.stop()``."""
    gateways = []
    for p in provinces:
        gateway = open_dev_gateway(
            dd,
            p,
            rpc_url=rpc_url,
            client=(clients or {}).get(p),
            store=(stores or {}).get(p),
            settings=gateway_settings(dd, p, port=(ports or {}).get(p), one_of_several=True),
        )
        gateways.append((gateway, gateway.settings.listen_port))
    fleet = GatewayFleet(gateways)
    fleet.start()
    return fleet


def package_source(dd: DataDir, province: Province, urls: Mapping[Province, str]) -> HttpPackageSource:
    """Where ``province``'s syncer gets packages: the owners' gateways at ``urls``, asked with
    the province's development credentials."""
    return HttpPackageSource(gateways=urls, credentials=dev_credentials(dd, f"province-{province.value}"))


@app.command("serve")
def serve(
    province: Annotated[str, typer.Option("--province", help="sh, js, zj or ah.")],
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Data directory (see `yrdx up`).")] = DEFAULT_DATA_DIR,
    port: Annotated[
        int | None, typer.Option("--port", help="Port on 127.0.0.1 (default 8101-8104 by province).")
    ] = None,
    rpc: Annotated[str | None, typer.Option("--rpc", help="Ledger JSON-RPC endpoint.")] = None,
) -> None:
    """Run one province's gateway on a development data dir until Ctrl-C."""
    try:
        p = Province.parse(province)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    dd = DataDir(data_dir)
    try:
        gateway = open_dev_gateway(dd, p, rpc_url=dd.rpc_url(rpc), port=port)
        gateway.start()
    except (GatewayError, LedgerError, AdapterError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    settings = gateway.settings
    url = f"http://{settings.host}:{settings.listen_port}"
    typer.echo(f"gateway {settings.identity} on {url} (OpenAPI: {url}/openapi.json); Ctrl-C stops it")
    typer.echo(f"  development clients in {pki_dir(dd) / 'clients'} (key password: the data dir's keystore password)")
    try:
        uvicorn.Server(server_config(gateway.app, host=settings.host, port=settings.listen_port)).run()
    finally:
        gateway.close()
        typer.echo("stopped")
