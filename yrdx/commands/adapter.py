"""``yrdx adapter``: ingest a platform export, sync other provinces' entries, export for the platform."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from adapters.chain.view import LedgerView
from adapters.core.errors import AdapterError, DialectError
from adapters.core.provinces import PROVINCES, Province
from adapters.pipeline.export import export
from adapters.pipeline.ingest import Kind, QuarantineReport, ingest
from adapters.pipeline.packages import StorePackageSource
from adapters.pipeline.plan import Planner, utc_now
from adapters.pipeline.publisher import Publisher
from adapters.pipeline.sync import Syncer
from node.errors import LedgerError
from yrdx.context import DEFAULT_DATA_DIR, DataDir

app = typer.Typer(help="Province adapters: ingest exports, sync peers, export for the platform.", no_args_is_help=True)

DataDirOption = Annotated[Path, typer.Option("--data-dir", help="Data directory (see `yrdx up`).")]
ProvinceOption = Annotated[str, typer.Option("--province", help="sh, js, zj or ah.")]
RpcOption = Annotated[str | None, typer.Option("--rpc", help="Ledger JSON-RPC endpoint.")]
StoreOption = Annotated[
    str | None, typer.Option("--store", help="Store DSN (sqlite:///path or postgresql+psycopg://...).")
]

EXIT_QUARANTINED = 3
EXIT_UNREADABLE = 2


def _province(value: str) -> Province:
    try:
        return Province.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command("ingest")
def ingest_cmd(
    source: Annotated[str, typer.Argument(help="The export file (Shanghai: also an http(s):// export endpoint).")],
    province: ProvinceOption,
    kind: Annotated[str, typer.Option("--kind", help="entries or evaluations.")] = "entries",
    quarantine: Annotated[
        Path | None, typer.Option("--quarantine", help="Write refused records here (JSON Lines).")
    ] = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    rpc: RpcOption = None,
    store_dsn: StoreOption = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Entries per ledger transaction.")] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary.")] = False,
) -> None:
    """Validate, store, publish in batches and confirm one export.

    Exit 0 when every record was valid, 3 when some were quarantined, 2 when the file cannot be
    read as the province's dialect.
    """
    p = _province(province)
    if kind not in ("entries", "evaluations"):
        raise typer.BadParameter("--kind must be entries or evaluations")
    dd = DataDir(data_dir)
    report = QuarantineReport.to_path(quarantine)
    try:
        url = dd.rpc_url(rpc)
        client = dd.province_client(p, rpc_url=url)
        deployment = dd.deployment()
        store = dd.open_store(p, store_dsn)
        tag_version = client.call(
            client.contract("Consortium", deployment.address("Consortium")).functions.tagKeyVersion()
        )
        planner = Planner(keyring=dd.keyring(), tag_key_version=int(tag_version), now=utc_now)
        publisher = Publisher(store=store, client=client, deployment=deployment, batch_size=batch_size)
        src: str | Path = source if source.startswith(("http://", "https://")) else Path(source)
        kind_: Kind = "entries" if kind == "entries" else "evaluations"
        summary = ingest(
            province=p,
            kind=kind_,
            source=src,
            source_name=source,
            store=store,
            planner=planner,
            publisher=publisher,
            quarantine=report,
        )
    except DialectError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from exc
    except (AdapterError, LedgerError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        report.close()
    if as_json:
        typer.echo(json.dumps(summary.as_json()))
    else:
        typer.echo(
            f"{p.name_en} {kind}: read {summary.read}, valid {summary.valid}, quarantined {summary.quarantined}, "
            f"published {summary.published}, already published {summary.already_published}, "
            f"amended {summary.amended}, status changes {summary.status_changes}, failed {summary.failed}"
        )
    if summary.quarantined:
        raise typer.Exit(EXIT_QUARANTINED)


def _syncer(dd: DataDir, p: Province, url: str, store_dsn: str | None) -> tuple[Syncer, Publisher]:
    """A syncer for ``p`` that takes packages from the other provinces' stores in the data dir."""
    deployment = dd.deployment()
    client = dd.province_client(p, rpc_url=url)
    stores = {q: dd.open_store(q, store_dsn if q is p else None) for q in PROVINCES}
    view = LedgerView(client=client, deployment=deployment)
    syncer = Syncer(province=p, store=stores[p], view=view, source=StorePackageSource(stores), keyring=dd.keyring())
    return syncer, Publisher(store=stores[p], client=client, deployment=deployment)


@app.command("sync")
def sync_cmd(
    province: ProvinceOption,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    rpc: RpcOption = None,
    store_dsn: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary.")] = False,
) -> None:
    """Follow the ledger from the saved cursor; fetch, check and store other provinces' records."""
    p = _province(province)
    dd = DataDir(data_dir)
    try:
        syncer, publisher = _syncer(dd, p, dd.rpc_url(rpc), store_dsn)
        publisher.recover()
        stats = syncer.run_once()
        publisher.pump()
        published = publisher.drain()
    except (AdapterError, LedgerError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    summary = {**asdict(stats), "recognitions_confirmed": published.ops.get("recognise", 0)}
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(
            f"{p.name_en}: read {stats.events} events to block {stats.to_block}; stored {stats.stored}, "
            f"withdrawn {stats.withdrawn}, refused {stats.refused}, waiting {stats.waiting}, "
            f"recognised {summary['recognitions_confirmed']}"
        )
    if stats.refused:
        raise typer.Exit(EXIT_QUARANTINED)


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Argument(help="Directory to write entries and evaluations into.")],
    province: ProvinceOption,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    store_dsn: StoreOption = None,
) -> None:
    """Write the other provinces' shared entries and results in the province's dialect."""
    p = _province(province)
    try:
        result = export(DataDir(data_dir).open_store(p, store_dsn), p, out)
    except AdapterError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"wrote {result.entries} entries to {result.entries_path}")
    typer.echo(f"wrote {result.evaluations} evaluation results to {result.evaluations_path}")
