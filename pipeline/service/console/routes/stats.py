"""The figures (server-drawn SVG charts, each table as CSV) and the admin page."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from pipeline.core.figures import PERIODS, compute_figures
from pipeline.core.people import Person
from pipeline.core.signing_status import signing_status
from pipeline.service.console.web import Rendered, Services, require

stats_routes = APIRouter()
figures_reader = require("stats")
administrator = require("admin")

TABLES = ("periods", "procedures", "offices")


def bar_chart(rows: list[tuple[str, int]], width: int = 720, height: int = 220) -> dict:
    """Bars for an SVG drawn by the template: each with its x, y, width, height and label."""
    left, bottom, top = 40, 30, 10
    most = max((value for _, value in rows), default=0) or 1
    step = min(48.0, (width - left - 10) / max(1, len(rows)))  # one day is a bar, not the whole chart
    bars = []
    for position, (label, value) in enumerate(rows):
        h = (height - bottom - top) * value / most
        bars.append({"x": round(left + position * step + step * 0.1, 1), "y": round(height - bottom - h, 1),
                     "w": round(step * 0.8, 1), "h": round(h, 1), "label": label, "value": value,
                     "tx": round(left + position * step + step / 2, 1)})
    return {"width": width, "height": height, "bars": bars, "most": most, "left": left, "base": height - bottom,
            "top": top, "every": max(1, len(rows) // 12)}


@stats_routes.get("/stats")
def stats_page(p: Rendered, s: Services, person: Annotated[Person, Depends(figures_reader)],
          period: Annotated[str, Query(pattern="^(day|week|month)$")] = "day"):
    figures = compute_figures(s.index, s.catalog, period=period)
    chart = bar_chart([(label, pages) for label, pages, _, _ in figures.by_period[-60:]])
    return p.render("stats.html", figures=figures, chart=chart, periods=PERIODS, catalog=s.catalog)


@stats_routes.get("/stats.csv")
def stats_csv(s: Services, person: Annotated[Person, Depends(figures_reader)],
              table: Annotated[str, Query(pattern="^(periods|procedures|offices)$")] = "periods",
              period: Annotated[str, Query(pattern="^(day|week|month)$")] = "day") -> Response:
    figures = compute_figures(s.index, s.catalog, period=period)
    heads = {"periods": ("period", "pages", "documents", "dossiers"),
             "procedures": ("procedure", "dossiers", "digitised", "required_papers", "reused"),
             "offices": ("office", "dossiers", "digitised")}
    rows = {"periods": figures.by_period, "procedures": figures.by_procedure, "offices": figures.by_office}[table]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(heads[table])
    writer.writerows(rows)
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="sohoa-{table}-{period}.csv"', "Cache-Control": "no-store"})


@stats_routes.get("/admin")
def admin(p: Rendered, s: Services, person: Annotated[Person, Depends(administrator)]):
    health = {}
    try:
        s.index.ping()
        health["admin.index"] = True
    except Exception:  # noqa: BLE001 - a health line, not an error page
        health["admin.index"] = False
    try:
        s.store.exists("readyz-probe")
        health["admin.store"] = True
    except Exception:  # noqa: BLE001
        health["admin.store"] = False
    settings = s.settings
    signing = {"admin.sign_key": bool(settings.sign_key)}  # trust roots and the TSA: in detail below
    status = signing_status(settings, s.index)
    return p.render("admin.html", people=s.people.list(), keys=s.access.list_keys(), health=health,
                    queue=s.runtime.queue_configured, signing=signing, sign_level=settings.sign_level,
                    index_url=s.index.safe_url, store_url=s.store.url, sign_status=status,
                    tsa_url=settings.tsa_url, tsa=s.tsa_probe.kept(settings.tsa_url) if settings.tsa_url else None)


@stats_routes.get("/admin/tsa")
def admin_tsa(p: Rendered, s: Services, person: Annotated[Person, Depends(administrator)], again: bool = False):
    """Whether the timestamp authority answers: asked here (a few seconds at most, kept a minute),
    so that the admin page itself never waits for it."""
    url = s.settings.tsa_url
    return p.render("admin_tsa.html", tsa_url=url, tsa=s.tsa_probe.check(url, again=again) if url else None)
