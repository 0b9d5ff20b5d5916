"""``gros kennisbank``: the kennisbank's upkeep from a shell."""

from __future__ import annotations

import click

from engine.cli.common import emit, json_option, open_engine, refusals
from engine.cli.dutch import DutchGroup
from engine.gros.kennisbank import reindex


@click.group(cls=DutchGroup)
def kennisbank() -> None:
    """De kennisbank: de kaart en zoektekst van elk dossier."""


@kennisbank.command("herindexeren")
@json_option
@refusals
def reindex_missing(as_json: bool) -> None:
    """Neem dossiers van vóór de kennisbank op (eenmalig na de upgrade); daarna houdt elke opdracht ze bij."""
    count = reindex(open_engine())
    emit(as_json, {"indexed": count}, lambda: f"{count} dossier(s) opgenomen in de kennisbank.")
