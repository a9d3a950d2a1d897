"""`sohoa model`: the learned models."""

from __future__ import annotations

import click

from pipeline.cli.app import cli, console, pass_runtime, stdout
from pipeline.core.runtime import Runtime


@cli.group()
def model() -> None:
    """The learned models (the field reader)."""


def _rate(score: tuple[int, int] | None) -> str:
    if not score or not score[1]:
        return "-"
    return f"{score[0] / score[1]:.0%} ({score[0]}/{score[1]})"


@model.command()
@click.option("--documents-per-type", default=4, show_default=True, help="Generated documents per type.")
@pass_runtime
def retrain(rt: Runtime, documents_per_type: int) -> None:
    """Retrain the field reader from generated documents plus reviewers' corrections; print the
    field hit rate on held-out corrections before and after."""
    from pipeline.core.retrain import retrain_field_reader

    console.print("huấn luyện lại bộ đọc trường (retraining the field reader) …")
    report = retrain_field_reader(rt, documents_per_type=documents_per_type)
    stdout.print(f"corrected documents: {report.corrected_documents}  (trained on {report.trained_on}, "
                 f"held out {report.held_out})")
    for name in sorted(set(report.before) | set(report.after)):
        stdout.print(f"  {name:15s} before {_rate(report.before.get(name)):>14s}   after "
                     f"{_rate(report.after.get(name)):>14s}")
    stdout.print(f"saved to {report.model_path}")
