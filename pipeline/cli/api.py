"""`sohoa serve`, `sohoa keys` and `sohoa audit`: thin shells over pipeline.service.api and pipeline.core.access."""

from __future__ import annotations

import json
from datetime import datetime

import click
from rich.table import Table

from pipeline.core.access import SCOPES, AccessError, AccessStore, mask_owner_id, mask_personal_ids
from pipeline.cli.app import cli, console, pass_runtime, stdout
from pipeline.core.runtime import Runtime


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default: SOHOA_API_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: SOHOA_API_PORT, 8000).")
@click.option("--workers", type=int, default=1, show_default=True, help="Server processes.")
@pass_runtime
def serve(rt: Runtime, host: str | None, port: int | None, workers: int) -> None:
    """Run the reuse API (OpenAPI at /openapi.json, docs at /docs)."""
    import copy

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    rt.index  # fail here, with the CLI's error, when the index is unreachable or outdated
    # uvicorn's access log would print paths holding personal IDs; sohoa's masks them.
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["sohoa.access"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    log_config["loggers"]["pipeline"] = {"handlers": ["default"], "level": "WARNING", "propagate": False}
    # what a re-validation under new trust roots changed (counts only) is worth a line
    log_config["loggers"]["pipeline.core.trust"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    uvicorn.run("pipeline.service.api:app_from_environment", factory=True, host=host or rt.settings.api_host,
                port=port or rt.settings.api_port, workers=workers, log_config=log_config,
                access_log=False)


@cli.group()
def keys() -> None:
    """API keys of client services."""


@keys.command(name="create")
@click.option("--name", required=True, help="The client service, e.g. 'cong-dich-vu-cong'.")
@click.option("--scopes", required=True, help=f"Comma-separated: {', '.join(SCOPES)}.")
@click.option("--types", "doc_types", default=None,
              help="Comma-separated document types this key may read (default: all).")
@pass_runtime
def keys_create(rt: Runtime, name: str, scopes: str, doc_types: str | None) -> None:
    """Create a key; it is printed once and only its hash is kept."""
    from schemas.catalog import default_catalog

    types = [t.strip() for t in doc_types.split(",") if t.strip()] if doc_types else None
    unknown = sorted(set(types or ()) - set(default_catalog().document_types))
    if unknown:
        raise click.UsageError(f"unknown document types: {', '.join(unknown)}")
    try:
        created = AccessStore(rt.index).create_key(
            name, [s.strip() for s in scopes.split(",") if s.strip()], types)
    except AccessError as exc:
        raise click.UsageError(exc.message) from exc
    console.print(f"key for {created.client.name} ({', '.join(sorted(created.client.scopes))}); "
                  "store it now, it is not shown again:")
    click.echo(created.key)


@keys.command(name="list")
@pass_runtime
def keys_list(rt: Runtime) -> None:
    """Keys by name, with scopes and whether revoked (never the keys themselves)."""
    table = Table(show_header=True)
    for column in ("name", "prefix", "scopes", "types", "created", "revoked"):
        table.add_column(column)
    for key in AccessStore(rt.index).list_keys():
        table.add_row(key["name"], key["key_prefix"] + "…", ",".join(key["scopes"]),
                      ",".join(key["doc_types"] or ["all"]), str(key["created_at"])[:19],
                      str(key["revoked_at"])[:19] if key["revoked_at"] else "")
    stdout.print(table)


@keys.command(name="revoke")
@click.argument("name")
@pass_runtime
def keys_revoke(rt: Runtime, name: str) -> None:
    """Revoke a client's key at once."""
    if not AccessStore(rt.index).revoke_key(name):
        raise click.UsageError(f"no active key named {name!r}")
    console.print(f"revoked {name}")


@cli.command()
@click.option("--owner", "owner_id", help="Reads of this owner's data.")
@click.option("--client", help="Reads by this client service.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), help="On or after.")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_runtime
def audit(rt: Runtime, owner_id, client, since: datetime | None, limit: int, as_json: bool) -> None:
    """Who read which document or owner's papers, when, and for what purpose (newest first)."""
    from datetime import UTC

    entries = AccessStore(rt.index).audit_entries(
        owner_id=owner_id, client=client, since=since.replace(tzinfo=UTC) if since else None, limit=limit)

    def shown(text: str | None) -> str | None:
        """Personal IDs masked (a search target can hold one), except the owner asked about."""
        if not text or not owner_id:
            return mask_personal_ids(text) if text else text
        return owner_id.join(mask_personal_ids(part) for part in text.split(owner_id))

    if as_json:
        for entry in entries:
            record = dict(entry.__dict__, at=entry.at.isoformat(), target=shown(entry.target),
                          owner_id=shown(entry.owner_id), purpose=shown(entry.purpose))
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    table = Table(show_header=True)
    for column in ("time", "client", "action", "target", "owner", "purpose", "status"):
        table.add_column(column)
    for e in entries:
        table.add_row(str(e.at)[:19], e.client, e.action, shown(e.target),
                      e.owner_id if owner_id else mask_owner_id(e.owner_id), shown(e.purpose) or "", str(e.outcome))
    stdout.print(table)
    if not entries:
        console.print("no audit entries match")
