"""The places the indexed reports are about, and what the corpus holds for each."""
from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from ..places import Place, gazetteer
from ..places.mentions import alias_table, pinyin_table
from ..types import ReportFacts


class CorpusPlaces:
    """Reports grouped by the place that issued them; built from the index, never from source files.

    `gazetteer` is the national one plus the places reports name that it does not list (abolished districts)."""

    def __init__(self, reports: Iterable[ReportFacts]):
        self.reports = list(dict.fromkeys(reports))
        gaz = gazetteer()
        unlisted = {r.place for r in self.reports if r.place and r.place not in gaz.by_key}
        self.gazetteer = gaz.with_places([p for p in map(gaz.unlisted, sorted(unlisted)) if p is not None])
        gaz = self.gazetteer
        self.places: dict[str, Place] = {}
        self.uncertain: dict[str, Place] = {}  # namesakes a report may be of (its text does not tell)
        for facts in self.reports:
            place = gaz.get(facts.place)
            if place is not None:
                self.places[place.key] = place
            for key in facts.place_candidates:
                candidate = gaz.get(key)
                if candidate is not None:
                    self.uncertain[key] = candidate

    @cached_property
    def aliases(self) -> dict[str, list[Place]]:
        """Abbreviated names to look for in questions: the corpus places first, then uncommon others."""
        return alias_table(self.gazetteer, [*self.places.values(), *self.uncertain.values()])

    @cached_property
    def pinyin(self) -> dict[str, list[Place]]:
        """Pinyin names to look for in English questions (built on first use)."""
        return pinyin_table(self.gazetteer, self.aliases)

    def holds(self, place: Place) -> bool:
        """Some report is about `place`, or may be (its text names the place but not which namesake)."""
        return place.key in self.places or place.key in self.uncertain

    def reports_about(self, place: Place) -> list[ReportFacts]:
        return [r for r in self.reports if r.place == place.key or place.key in r.place_candidates]

    def uncertain_reports(self, place: Place) -> list[ReportFacts]:
        """Reports that may be of `place` but do not say which of its namesakes they are of."""
        return [r for r in self.reports if place.key in r.place_candidates]

    @property
    def has_unknown_places(self) -> bool:
        return any(r.place is None for r in self.reports)

    def held_years(self, place: Place) -> list[int]:
        """Years of the reports about `place` (the year each report was given)."""
        return sorted({r.year for r in self.reports_about(place) if r.year})

    def covers(self, place: Place, years: set[int]) -> bool | None:
        """Does some report about `place` cover one of `years`? None when no report says which years it covers."""
        reports = self.reports_about(place)
        if any(not r.years for r in reports):
            return None if not any(set(r.years) & years for r in reports) else True
        return any(set(r.years) & years for r in reports)

    def covers_outcomes(self, place: Place, years: set[int]) -> bool | None:
        """Does some report about `place` give what happened in one of `years` (a work report's review part, a
        bulletin), rather than only targets (a work report's plan year)? None when some report does not say."""
        outcome_years: set[int] = set()
        for report in self.reports_about(place):
            if report.plan_year:
                outcome_years |= {y for y in report.years if y < report.plan_year}
            elif report.kind == "statistics":
                outcome_years |= set(report.years)
            else:
                return None
        return bool(outcome_years & years)

    def planned_in(self, place: Place, years: set[int]) -> list[ReportFacts]:
        """Reports about `place` that plan for one of `years`."""
        return [r for r in self.reports_about(place) if r.plan_year in years]
