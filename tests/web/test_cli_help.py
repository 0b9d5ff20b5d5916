"""`gros --help` and the help of every command and option read in Dutch: no English word from a list of
the ones the help used to be written in, click's own headings and marks included."""

from __future__ import annotations

import re

import click
from click.testing import CliRunner

from engine.cli.main import main

ENGLISH = {
    "a", "an", "the", "and", "or", "to", "for", "with", "from", "by", "on", "at", "when", "this", "that",
    "its", "their", "it", "be", "are", "not", "only", "also", "after", "before", "until", "instead", "every",
    "usage", "options", "commands", "arguments", "show", "message", "exit", "default", "required", "list",
    "deploy", "claim", "give", "complete", "deliver", "fire", "retry", "add", "set", "let",
    "copy", "measure", "make", "revoke", "send", "try", "received", "who", "whose", "replace", "take", "past",
    "new", "task", "tasks", "process", "instance", "meeting", "user", "group", "groups", "name",
    "value", "text", "integer", "path", "repeatable", "secret", "events", "outbound", "inbound", "due",
    "waiting", "seed", "serve", "files", "folders", "key", "form", "yourself", "now",
}


def commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


def english_words(text: str) -> set[str]:
    """Words of the help that are on the list, leaving out what is no prose: the usage line and command
    names, option names, placeholders in capitals, choices, file types, environment variables, examples."""
    text = re.sub(r"^Gebruik: .*$|^  [a-z-]+(?=\s{2,}|$)", " ", text, flags=re.MULTILINE)
    prose = re.sub(r"--?[\w-]+|\b[A-Z_]{2,}\b|\[[\w|-]+\]|\.\w+|\S+[/=]\S*|\S*@\S*", " ", text)
    return {word for word in re.findall(r"[A-Za-z]+", prose) if word.lower() in ENGLISH}


def test_every_command_explains_itself_in_dutch():
    runner = CliRunner()
    found = {}
    for path in [(), *commands(main)]:
        result = runner.invoke(main, [*path, "--help"], prog_name="gros")
        assert result.exit_code == 0, (path, result.output)
        assert "Gebruik: gros" in result.output and "Toon deze hulp en stop." in result.output
        words = english_words(result.output)
        if words:
            found[" ".join(path) or "gros"] = sorted(words)
    assert not found, found


def test_every_command_has_a_description():
    undescribed = [" ".join(path) for path in commands(main)
                   if not _command(path).get_short_help_str()]
    assert not undescribed


def _command(path: tuple[str, ...]) -> click.Command:
    command = main
    for name in path:
        command = command.commands[name]
    return command
