"""The statistics dashboard's figures: five grids of counts, built from GROUP BY queries.

Each grid has columns (months, districts or industries) and rows (authorities, lists,
grades, measures); the page draws it as a chart and shows it as a table. Counts of subjects
(list members, graded subjects, subjects a measure was applied to) below :data:`MIN_CELL`
are shown as "<3" and drawn as 0 (see ``docs/statistics.md``); counts of records and of
cases are published as they are.
"""

from __future__ import annotations

import calendar
import datetime as dt
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from xinyong.catalogue.model import Catalogue, Disclosure, LocalName, SubjectKind
from xinyong.checks import service as checks_service
from xinyong.dates import add_months
from xinyong.errors import BadRequest
from xinyong.lists.model import Declaration, MeasureKind
from xinyong.portal.statistics import repository as repo
from xinyong.rating.model import Scheme
from xinyong.rights.model import Rights

#: Counts of subjects from 1 to MIN_CELL - 1 are not published (shown as "<3").
MIN_CELL = 3
MAX_MONTHS = 36
DEFAULT_MONTHS = 12
#: The row or column of subjects without a district (persons) or industry.
NONE = "-"
#: Seconds a computed dashboard is served before it is computed again.
CACHE_SECONDS = 600.0


@dataclass(frozen=True)
class Row:
    key: str
    name: LocalName | None  # from the catalogue or a declaration; None: the page names it
    values: tuple[int, ...]


@dataclass(frozen=True)
class Grid:
    """Counts: one row per series, one value per column."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    suppressed: bool  # counts of subjects: small cells are hidden

    @property
    def empty(self) -> bool:
        return not any(any(r.values) for r in self.rows)


@dataclass(frozen=True)
class Turnaround:
    kind: str  # "objections" or "restorations"
    month: str
    decided: int
    on_time: int
    median_days: float | None  # working days from filing to decision
    deadline_days: int

    @property
    def late(self) -> int:
        return self.decided - self.on_time

    @property
    def share_on_time(self) -> float:
        return 100.0 * self.on_time / self.decided if self.decided else 0.0


@dataclass(frozen=True)
class MeasureRow:
    measure: str
    name: LocalName | None
    kind: str  # "incentive" or "sanction"
    values: tuple[int, ...]  # per month: subjects the measure was applied to


@dataclass(frozen=True)
class Dashboard:
    months: tuple[str, ...]  # "YYYY-MM", oldest first
    month_ends: tuple[dt.date, ...]
    records: Grid
    lists: Grid
    scheme: Scheme | None
    schemes: tuple[Scheme, ...]
    by_district: Grid
    by_industry: Grid
    measures: Grid  # rows: incentive, sanction
    measure_rows: tuple[MeasureRow, ...]
    turnaround: tuple[Turnaround, ...]
    open_overdue: Mapping[str, int]
    deadlines: Mapping[str, int] = field(default_factory=dict)


def parse_months(raw: str | None) -> int:
    """``?months=``: whole months from 1 to 36 (default 12)."""
    if raw is None or raw == "":
        return DEFAULT_MONTHS
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_MONTHS:
        raise BadRequest(
            f"months must be a whole number from 1 to {MAX_MONTHS}", code="invalid_months"
        )
    return int(raw)


def public_schemes(schemes: Mapping[str, Scheme]) -> list[Scheme]:
    """Schemes whose grades are public for at least one kind of subject, by code."""
    return [
        s
        for _, s in sorted(schemes.items())
        if any(s.disclosure_for(k) is Disclosure.public for k in s.subject_kinds)
    ]


def pick_scheme(schemes: Mapping[str, Scheme], raw: str | None) -> Scheme | None:
    """``?scheme=``: a public scheme's code (default: ``city_grade``, else the first)."""
    public = public_schemes(schemes)
    if raw is None or raw == "":
        by_code = {s.code: s for s in public}
        return by_code.get("city_grade") or (public[0] if public else None)
    for s in public:
        if s.code == raw:
            return s
    raise BadRequest("unknown or unpublished scheme", code="invalid_scheme")


def month_window(today: dt.date, months: int) -> tuple[list[str], list[dt.date], dt.date]:
    """The last ``months`` calendar months up to ``today``'s: labels, each month's last day
    (today for the current month) and the first day of the window."""
    first = add_months(today.replace(day=1), -(months - 1))
    labels: list[str] = []
    ends: list[dt.date] = []
    for i in range(months):
        start = add_months(first, i)
        labels.append(f"{start.year:04d}-{start.month:02d}")
        last = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        ends.append(min(last, today))
    return labels, ends, first


def shown(value: int, suppressed: bool) -> str:
    """A cell as published: ``"<3"`` for 1 or 2 subjects."""
    if suppressed and 0 < value < MIN_CELL:
        return f"<{MIN_CELL}"
    return f"{value:,}"


def drawn(value: int, suppressed: bool) -> int:
    """A cell as drawn: hidden counts as 0."""
    return 0 if suppressed and 0 < value < MIN_CELL else value


def _grid(
    columns: Sequence[str],
    cells: Iterable[tuple[str, str, int]],
    names: Mapping[str, LocalName | None],
    order: Sequence[str],
    *,
    suppressed: bool,
) -> Grid:
    """A grid from ``(row key, column, count)``; rows in ``order`` then any other key."""
    index = {c: i for i, c in enumerate(columns)}
    values: dict[str, list[int]] = {}
    for key, col, n in cells:
        if col in index:
            values.setdefault(key, [0] * len(columns))[index[col]] += n
    keys = [k for k in order if k in values] + sorted(k for k in values if k not in order)
    rows = tuple(Row(k, names.get(k), tuple(values[k])) for k in keys)
    return Grid(tuple(columns), rows, suppressed)


def _median(pairs: Sequence[tuple[int, int]]) -> float | None:
    """The median of values given as ``(value, how many)``."""
    total = sum(n for _, n in pairs)
    if not total:
        return None
    ordered = sorted(pairs)

    def nth(i: int) -> int:
        for value, n in ordered:
            if i < n:
                return value
            i -= n
        return ordered[-1][0]

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


def _turnaround(
    kind: str,
    rows: Sequence[tuple[dt.date, dt.date, dt.date, int]],
    months: Sequence[str],
    rights: Rights,
    deadline: int,
) -> list[Turnaround]:
    cal = rights.working_calendar
    per: dict[str, list[tuple[int, int]]] = defaultdict(list)
    on_time: dict[str, int] = defaultdict(int)
    for filed, due, decided, n in rows:
        month = f"{decided.year:04d}-{decided.month:02d}"
        per[month].append((cal.working_days_between(filed, decided), n))
        if decided <= due:
            on_time[month] += n
    return [
        Turnaround(
            kind=kind,
            month=m,
            decided=sum(n for _, n in per.get(m, [])),
            on_time=on_time.get(m, 0),
            median_days=_median(per.get(m, [])),
            deadline_days=deadline,
        )
        for m in months
    ]


def dashboard(
    conn: Connection,
    catalogue: Catalogue,
    decl: Declaration,
    schemes: Mapping[str, Scheme],
    rights: Rights,
    *,
    months: int,
    scheme: Scheme | None,
    today: dt.date,
    timezone: str,
    now: dt.datetime,
) -> Dashboard:
    """Every figure of the dashboard for the last ``months`` months up to ``today``."""
    labels, ends, first = month_window(today, months)
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    offset = now.astimezone(zone).utcoffset() or dt.timedelta()
    offset_minutes = int(offset.total_seconds() // 60)

    providers = {p.code: p.name for p in catalogue.providers}
    records = _grid(
        labels,
        repo.records_per_provider(conn, start=start, offset_minutes=offset_minutes),
        providers,
        list(providers),
        suppressed=False,
    )

    public_lists = [lst for lst in decl.lists if lst.publication.public]
    month_of = {d: labels[i] for i, d in enumerate(ends)}
    lists = _grid(
        labels,
        (
            (code, month_of[day], n)
            for code, day, n in repo.list_sizes(conn, [x.code for x in public_lists], ends)
            if day in month_of
        ),
        {x.code: x.name for x in public_lists},
        [x.code for x in public_lists],
        suppressed=True,
    )

    by_district = by_industry = Grid((), (), True)
    if scheme is not None:
        kinds = [
            k.value for k in scheme.subject_kinds if scheme.disclosure_for(k) is Disclosure.public
        ]
        grades = [g.grade for g in scheme.grades]
        grade_names = {g.grade: g.name for g in scheme.grades}
        district_cells = [
            (NONE if kind == SubjectKind.person.value else division, grade, n)
            for kind, division, grade, n in repo.grades_by_district(conn, scheme.code, kinds)
        ]
        districts = sorted({d for d, _, _ in district_cells}, key=lambda d: (d == NONE, d))
        by_district = _grid(
            districts,
            ((g, d, n) for d, g, n in district_cells),
            grade_names,
            grades,
            suppressed=True,
        )
        per_grade: dict[str, int] = defaultdict(int)
        for _, grade, n in district_cells:
            per_grade[grade] += n
        industry_cells = repo.grades_by_industry(conn, scheme.code, kinds)
        for _, grade, n in industry_cells:
            per_grade[grade] -= n
        industry_cells += [(NONE, g, n) for g, n in sorted(per_grade.items()) if n > 0]
        industries = sorted({i for i, _, _ in industry_cells}, key=lambda i: (i == NONE, i))
        by_industry = _grid(
            industries,
            ((g, i, n) for i, g, n in industry_cells),
            grade_names,
            grades,
            suppressed=True,
        )

    feedback = checks_service.statistics(conn, decl, consumer=None, start=first, end=None)
    applied = [f for f in feedback["feedback"] if f["action"] == "applied"]
    measure_names = {m.code: m.name for m in decl.measures}
    measure_kinds = {m.code: m.kind.value for m in decl.measures}
    by_measure = _grid(
        labels,
        ((f["measure"], f["month"], int(f["count"])) for f in applied),
        measure_names,
        [m.code for m in decl.measures],
        suppressed=True,
    )
    measure_rows = tuple(
        MeasureRow(r.key, r.name, measure_kinds.get(r.key, ""), r.values) for r in by_measure.rows
    )
    kinds_order = [MeasureKind.incentive.value, MeasureKind.sanction.value]
    measures = _grid(
        labels,
        ((measure_kinds.get(f["measure"], ""), f["month"], int(f["count"])) for f in applied),
        {},
        kinds_order,
        suppressed=True,
    )
    measures = Grid(measures.columns, tuple(r for r in measures.rows if r.key in kinds_order), True)

    deadlines = {
        "objections": rights.objections.decide_working_days,
        "restorations": rights.restorations.decide_working_days,
    }
    turnaround = [
        *_turnaround(
            "objections",
            repo.objections_decided(conn, start=start, offset_minutes=offset_minutes),
            labels,
            rights,
            deadlines["objections"],
        ),
        *_turnaround(
            "restorations",
            repo.restorations_decided(conn, start=start, offset_minutes=offset_minutes),
            labels,
            rights,
            deadlines["restorations"],
        ),
    ]
    open_o, open_r = repo.open_overdue(conn, today)

    return Dashboard(
        months=tuple(labels),
        month_ends=tuple(ends),
        records=records,
        lists=lists,
        scheme=scheme,
        schemes=tuple(public_schemes(schemes)),
        by_district=by_district,
        by_industry=by_industry,
        measures=measures,
        measure_rows=measure_rows,
        turnaround=tuple(turnaround),
        open_overdue={"objections": open_o, "restorations": open_r},
        deadlines=deadlines,
    )


class DashboardCache:
    """Computed dashboards, each served for :data:`CACHE_SECONDS` (the figures are
    aggregates over the whole store: a few minutes old is fine, a scan per view is not).
    The key holds the parameters and today's date; the dashboard holds no language."""

    def __init__(self, seconds: float = CACHE_SECONDS, size: int = 64) -> None:
        self.seconds = seconds
        self.size = size
        self._kept: dict[Hashable, tuple[float, Dashboard]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Dashboard]) -> Dashboard:
        now = time.monotonic()
        with self._lock:
            found = self._kept.get(key)
        if found is not None and now - found[0] < self.seconds:
            return found[1]
        board = build()
        with self._lock:
            if len(self._kept) >= self.size:
                self._kept.clear()
            self._kept[key] = (time.monotonic(), board)
        return board
