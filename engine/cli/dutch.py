"""The ``gros`` command speaks Dutch in its help too: click's own headings, the help option, the
``[default: …]`` and ``[required]`` marks and the value placeholders, translated where click prints them."""

from __future__ import annotations

from collections.abc import Sequence

import click

HEADINGS = {"Options": "Opties", "Commands": "Opdrachten", "Positional arguments": "Argumenten"}
PHRASES = {"Show this message and exit.": "Toon deze hulp en stop.", "[default: ": "[standaard: ",
           "[required]": "[verplicht]", "; default: ": "; standaard: ", "required; ": "verplicht; "}
PLACEHOLDERS = {"text": "TEKST", "integer": "GETAL", "path": "PAD", "float": "GETAL", "boolean": "JA|NEE"}


class DutchFormatter(click.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "Gebruik: " if prefix is None else prefix)

    def section(self, name: str):
        return super().section(HEADINGS.get(name, name))

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, _translated(text)) for term, text in rows], col_max, col_spacing)


class DutchContext(click.Context):
    formatter_class = DutchFormatter


class DutchCommand(click.Command):
    context_class = DutchContext

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("options_metavar", "[OPTIES]")
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, click.Option) and param.metavar is None and not param.is_flag:
                param.metavar = PLACEHOLDERS.get(param.type.name)


class DutchGroup(DutchCommand, click.Group):
    command_class = DutchCommand
    group_class = type  # subgroups are Dutch groups too

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("subcommand_metavar", "OPDRACHT [ARGUMENTEN]...")
        super().__init__(*args, **kwargs)


def _translated(text: str) -> str:
    for english, dutch in PHRASES.items():
        text = text.replace(english, dutch)
    return text
