"""The `sohoa` command group, its runtime and its consoles; every command module builds on this.

Each command parses its options, calls the core with the runtime, and renders the result. Errors
of the product (`SohoaError`) end the command with their documented exit code (see README).
"""

from __future__ import annotations

import logging
import sys

import click
from rich.console import Console

from pipeline import __version__
from pipeline.core.access import mask_personal_ids
from pipeline.core.runtime import Runtime, open_runtime
from pipeline.errors import SohoaError

# Messages to a terminal wrap to its width; piped or logged, each stays one line (a path cut in
# two at column 80 cannot be found by grep or by the person reading the log).
console = Console(stderr=True, soft_wrap=not sys.stderr.isatty())
# Piped output (reports, CI logs) gets room for the whole summary table instead of 80 columns.
stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)

pass_runtime = click.make_pass_decorator(Runtime)


def main() -> None:
    try:
        cli.main(standalone_mode=False, prog_name="sohoa")
    except click.exceptions.Abort:
        console.print("interrupted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SohoaError as exc:
        # An ID typed as an argument may come back in the message: never print it whole.
        console.print(f"[red]error[/red]: {mask_personal_ids(exc.message)}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    sys.exit(0)


@click.group()
@click.version_option(__version__, prog_name="sohoa")
@click.option("-v", "--verbose", count=True, help="-v: decisions per file; -vv: every tool call.")
@click.pass_context
def cli(click_context: click.Context, verbose: int) -> None:
    """sohoa: digitise Vietnamese one-stop-shop dossiers."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    click_context.obj = open_runtime(on_training=_announce_training)


def _announce_training(path) -> None:
    console.print(f"training the document-type classifier once, into {path} …")
