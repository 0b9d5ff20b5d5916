"""The monitor's view of the grenseffectentoetsen (§ 4.2.2): the list with its own filters (submitting
side, conclusion, late) from the toets rows, never from instance state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.errors import InvalidData
from engine.forms import FieldError
from engine.gros import toetsen

CONCLUSION_FILTERS = {"open": "Nog niet afgerond", **toetsen.CONCLUSIONS}
SUBMITTING_SIDES = {side: toetsen.SIDES[side] for side in toetsen.SUBMITTERS.values()}


@dataclass(frozen=True)
class ToetsFilters:
    side: str = ""
    conclusion: str = ""
    late_only: bool = False

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> ToetsFilters:
        """Read the query string; a value that makes no sense is refused naming the field."""
        side, conclusion = args.get("zijde", ""), args.get("conclusie", "")
        errors = []
        if side and side not in SUBMITTING_SIDES:
            errors.append(FieldError("zijde", "Ingediend door", f"kies een van: {', '.join(SUBMITTING_SIDES)}"))
        if conclusion and conclusion not in CONCLUSION_FILTERS:
            errors.append(FieldError("conclusie", "Conclusie", f"kies een van: {', '.join(CONCLUSION_FILTERS)}"))
        if errors:
            raise InvalidData("De filters van de grenseffectentoetsen kloppen niet.", errors)
        return cls(side, conclusion, args.get("te_laat") == "ja")

    def rows(self, engine) -> list:
        return toetsen.listing(engine, self.side or None, self.conclusion or None, self.late_only)
