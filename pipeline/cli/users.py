"""`sohoa users`: accounts of the people who use the console (a thin shell over pipeline.core.people)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from pipeline.cli.app import cli, console, pass_runtime, stdout
from pipeline.core.people import ROLES, People, PeopleError
from pipeline.core.runtime import Runtime


@cli.group()
def users() -> None:
    """Accounts of the people who use the console (clerks, reviewers, officials, admins)."""


def _password(password_file: Path | None, from_environment: str | None) -> str:
    """The password from --password-file (its first line), SOHOA_USER_PASSWORD, or a prompt."""
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise click.UsageError(f"{password_file}: cannot read the password file ({type(exc).__name__})") from exc
        if not lines or not lines[0]:
            raise click.UsageError(f"{password_file}: the first line (the password) is empty")
        return lines[0]
    if from_environment:
        return from_environment
    return click.prompt("password", hide_input=True, confirmation_prompt=True, err=True)


_PASSWORD_FILE = click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False),
                              help="A file whose first line is the password.")
_PASSWORD_ENV = click.option("--password-from-env", "from_environment", envvar="SOHOA_USER_PASSWORD",
                             hidden=True, default=None)


@users.command(name="create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the person may do in the console.")
@click.option("--full-name", default="", help="The person's name as shown, e.g. 'Nguyễn Thị Lan'.")
@click.option("--office", default="", help="The office or counter the person works at.")
@_PASSWORD_FILE
@_PASSWORD_ENV
@pass_runtime
def users_create(rt: Runtime, name: str, role: str, full_name: str, office: str,
                 password_file: Path | None, from_environment: str | None) -> None:
    """Create an account; the password comes from --password-file, SOHOA_USER_PASSWORD or a prompt."""
    try:
        person = People.from_settings(rt.index, rt.settings).create(
            name, role, _password(password_file, from_environment), full_name=full_name, office=office)
    except PeopleError as exc:
        raise click.UsageError(exc.message) from exc
    console.print(f"created {person.username} ({person.role})")


@users.command(name="list")
@pass_runtime
def users_list(rt: Runtime) -> None:
    """Accounts by name, with role, office and state (never a password or its hash)."""
    table = Table(show_header=True)
    for column in ("name", "full name", "role", "office", "state", "last log-in"):
        table.add_column(column)
    for p in People.from_settings(rt.index, rt.settings).list():
        state = "disabled" if not p.active else "locked" if p.locked_until else "active"
        table.add_row(p.username, p.full_name, p.role, p.office, state,
                      str(p.last_login_at)[:19] if p.last_login_at else "")
    stdout.print(table)


@users.command(name="disable")
@click.argument("name")
@pass_runtime
def users_disable(rt: Runtime, name: str) -> None:
    """Disable an account at once: its sessions end with the next request."""
    try:
        People.from_settings(rt.index, rt.settings).disable(name)
    except PeopleError as exc:
        raise click.UsageError(exc.message) from exc
    console.print(f"disabled {name}")


@users.command(name="reset-password")
@click.argument("name")
@_PASSWORD_FILE
@_PASSWORD_ENV
@pass_runtime
def users_reset_password(rt: Runtime, name: str, password_file: Path | None, from_environment: str | None) -> None:
    """Set a new password; the person's sessions end and a lock-out is lifted."""
    try:
        People.from_settings(rt.index, rt.settings).reset_password(name, _password(password_file, from_environment))
    except PeopleError as exc:
        raise click.UsageError(exc.message) from exc
    console.print(f"new password set for {name}")
