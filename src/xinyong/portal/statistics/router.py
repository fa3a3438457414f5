"""The public statistics dashboard (``/statistics``): five charts drawn as inline SVG, each
with its numbers in a table. ``?months=`` (1-36, default 12) and ``?scheme=`` (a public
scheme) are checked: a bad value gives the 400 error page. See ``docs/statistics.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from xinyong.api.deps import (
    CatalogueDep,
    DeclarationDep,
    Reading,
    RightsDep,
    SchemesDep,
    SettingsDep,
)
from xinyong.db.types import utcnow
from xinyong.ingest.importer import today_in
from xinyong.portal import render
from xinyong.portal.render import Built
from xinyong.portal.statistics import charts
from xinyong.portal.statistics import service as stats
from xinyong.portal.statistics.service import Grid, Turnaround

router = APIRouter(include_in_schema=False)


def _series(grid: Grid, labels: Mapping[str, str], lang: str) -> list[charts.Series]:
    return [
        charts.Series(
            labels.get(r.key) or (render.local(r.name, lang) if r.name else r.key),
            tuple(float(stats.drawn(v, grid.suppressed)) for v in r.values),
        )
        for r in grid.rows
    ]


def _message(grid: Grid, empty: str, hidden: str) -> str:
    """What a chart without anything drawn says: no data, or only hidden small counts."""
    return empty if grid.empty else hidden


def _tools(lang: str) -> dict[str, object]:
    """What the template draws charts and shows cells with, in the page's language."""

    def bars(
        ident: str,
        title: str,
        desc: str,
        grid: Grid,
        labels: Mapping[str, str] | None = None,
        stacked: bool = True,
        empty: str = "",
        hidden: str = "",
        column_labels: Mapping[str, str] | None = None,
        column_names: Callable[[str], str] | None = None,
    ) -> Markup:
        """``column_labels`` names some columns; ``column_names`` the others (districts)."""
        series = _series(grid, labels or {}, lang)
        message = _message(grid, empty, hidden)
        named = column_labels or {}
        columns = [named.get(c) or (column_names(c) if column_names else c) for c in grid.columns]
        return charts.bar_chart(ident, title, desc, columns, series, stacked=stacked, empty=message)

    def lines(
        ident: str,
        title: str,
        desc: str,
        grid: Grid,
        labels: Mapping[str, str] | None = None,
        empty: str = "",
        hidden: str = "",
    ) -> Markup:
        series = _series(grid, labels or {}, lang)
        message = _message(grid, empty, hidden)
        return charts.line_chart(ident, title, desc, grid.columns, series, empty=message)

    def medians(
        ident: str,
        title: str,
        desc: str,
        months: Sequence[str],
        rows: Sequence[Turnaround],
        labels: Mapping[str, str],
        deadline_labels: Mapping[str, str],
        deadlines: Mapping[str, int],
        empty: str = "",
    ) -> Markup:
        series = []
        for kind in ("objections", "restorations"):
            by_month = {t.month: t.median_days for t in rows if t.kind == kind}
            series.append(
                charts.Series(labels[kind], tuple(by_month.get(m) or 0.0 for m in months))
            )
        refs = [charts.Reference(deadline_labels[k], float(v)) for k, v in deadlines.items()]
        if len({r.value for r in refs}) == 1 and len(refs) > 1:
            refs = [charts.Reference(" / ".join(r.name for r in refs), refs[0].value)]
        return charts.bar_chart(ident, title, desc, months, series, references=refs, empty=empty)

    return {
        "bars": bars,
        "lines": lines,
        "medians": medians,
        "cell": stats.shown,
        "local_name": lambda name: render.local(name, lang) if name else "",
    }


def _cache(request: Request) -> stats.DashboardCache:
    """The app's dashboard cache (one per app, so each test's app starts empty)."""
    state = request.app.state
    found = getattr(state, "statistics_cache", None)
    if not isinstance(found, stats.DashboardCache):
        found = stats.DashboardCache()
        state.statistics_cache = found
    return found


@router.get("/statistics", response_class=HTMLResponse)
def statistics(
    request: Request,
    conn: Reading,
    catalogue: CatalogueDep,
    schemes: SchemesDep,
    decl: DeclarationDep,
    rights: RightsDep,
    settings: SettingsDep,
) -> Response:
    """The dashboard: records per authority, list sizes, grades by district and industry,
    measures applied and the turnaround of objections and restorations."""
    params = request.query_params
    cache = _cache(request)

    def build(lang: str) -> Built:
        months = stats.parse_months(params.get("months"))
        scheme = stats.pick_scheme(schemes, params.get("scheme"))
        today = today_in(settings)
        board = cache.get(
            (months, scheme.code if scheme else None, today),
            lambda: stats.dashboard(
                conn,
                catalogue,
                decl,
                schemes,
                rights,
                months=months,
                scheme=scheme,
                today=today,
                timezone=settings.timezone,
                now=utcnow(),
            ),
        )
        return "statistics/dashboard.html", {
            "board": board,
            "months_value": months,
            "min_cell": stats.MIN_CELL,
            **_tools(lang),
        }

    return render.page(request, build)
