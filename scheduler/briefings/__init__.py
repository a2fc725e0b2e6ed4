"""Briefings (简报): the monthly dispatch, quarterly analysis, half-year summary and annual
evaluation, rendered to PDF from the projections and recorded in the ledger.

Rendering happens here, in the scheduler's cycles or the CLI, never in an HTTP request
thread: a briefing of a dozen pages takes about a second of CPU.

Two times pin a briefing, as they pin every report: the business date it is evaluated
*as of* (default: the last day of the period) and the ledger *position* it reflects
(default: what is known as of that day, :func:`projections.views.knowledge_position`:
the last real event dated on or before it, leaving out bookkeeping such as issued
briefings, cycle runs, the daily tick's marker and deliveries). Both are printed on
every page, and the PDF carries no other time: its creation and modification dates are
the as-of date, its file identifier is derived from the rendered HTML, so rendering the
same briefing twice gives the same bytes (see docs/lessons.md, "WeasyPrint"). Issuing
it again with nothing new since is the same briefing: same bytes, nothing recorded.

Definitions (where the plans are silent, these are ours; all configurable through
:class:`BriefingConfig`):

* **Reports due in a period**: obligation instances whose due date falls inside the
  period, evaluated at the period's *close* (its last day, or the as-of date if
  earlier): made (first report on or before the close), on time, late, or overdue at
  the close. The same rule for this period and the previous one, so the comparison is
  like for like; a report made after the close does not change a closed period.
* **On-time rate** = reports made on time / reports due.
* **Task board** (红黄绿灯): a task is red when one of its targets is red
  (:func:`projections.evaluation.target_progress`, pure progress against elapsed time,
  :class:`~projections.evaluation.Thresholds`) or when at least ``red_share`` (default
  30%) of its units have an overdue report as of the as-of date; yellow when a target
  is yellow or any unit is overdue; green otherwise.
* **Annual score** of a unit (0-100)::

      score = 100 × (w_on_time × on_time_rate
                     + w_targets × target_completion
                     + w_escalations × (1 − penalty)) / (sum of the weights used)

  with the defaults ``w_on_time = 50``, ``w_targets = 30``, ``w_escalations = 20``;
  ``on_time_rate`` over the reports due in the year; ``target_completion`` the mean of
  min(percent done, 100%) over the quantitative targets of the tasks the unit *leads*
  (the lead unit answers for the target); ``penalty = min(1, 0.25 × escalations +
  0.05 × urges)`` received in the year. A term that does not apply (no report due, no
  target led) is left out and its weight with it, so a unit is never scored on what it
  was not asked to do. Commended: score ≥ 85 with no escalation and nothing overdue at
  the close. Called out: score < 60, or any escalation in the year.

Safety: every value is escaped by Jinja2 (autoescape on) and WeasyPrint fetches only
through :class:`TemplateOnlyFetcher`: files inside ``templates/`` and ``data:`` URLs,
nothing else (no http, https or file outside the templates), so nothing a unit writes can
make the renderer touch the network or the file system.

The package: :mod:`~scheduler.briefings.evaluate` (what a briefing says, no WeasyPrint),
:mod:`~scheduler.briefings.formatting` (Chinese numbers, dates, periods) and
:mod:`~scheduler.briefings.render` (templates, charts, PDF, files). The rendering names
are imported on first use, so importing the package or its evaluation does not load
WeasyPrint.
"""

from __future__ import annotations

import importlib
from typing import Any

from projections.evaluation import DEFAULT_THRESHOLDS, ScoreWeights, Thresholds
from scheduler.briefings.evaluate import (
    DEFAULT_CONFIG,
    TITLES,
    BriefingConfig,
    previous,
)
from scheduler.briefings.formatting import (
    CHASE_NAMES,
    LIGHT_NAMES,
    ROLE_NAMES,
    STATUS_NAMES,
    clip,
    cn_date,
    cn_period,
    percent,
    quantity,
    short_plan,
    signed,
)

#: Names served by :mod:`scheduler.briefings.render`, which imports WeasyPrint.
_RENDERING = frozenset({
    "BRIEFING_TEMPLATES",
    "TEMPLATES",
    "RenderedBriefing",
    "TemplateOnlyFetcher",
    "_context",
    "_environment",
    "charts",
    "html_to_pdf",
    "issue_briefing",
    "render_briefing",
})

__all__ = [
    "CHASE_NAMES",
    "DEFAULT_CONFIG",
    "DEFAULT_THRESHOLDS",
    "LIGHT_NAMES",
    "ROLE_NAMES",
    "STATUS_NAMES",
    "TITLES",
    "BriefingConfig",
    "ScoreWeights",
    "Thresholds",
    "clip",
    "cn_date",
    "cn_period",
    "percent",
    "previous",
    "quantity",
    "short_plan",
    "signed",
    *sorted(name for name in _RENDERING if not name.startswith("_")),
]


def __getattr__(name: str) -> Any:
    if name in _RENDERING:
        return getattr(importlib.import_module("scheduler.briefings.render"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
