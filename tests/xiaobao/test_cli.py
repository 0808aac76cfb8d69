"""The `xiaobao` command documents itself: every command, found by walking the CLI (not a list kept here), has help
and an example.

The rule, for every command and group that `xiaobao` has:
  1. it has help text (the docstring, or `help=` where it is registered);
  2. a command (not a group) has an example section: a line beginning with 示例：, and on the rest of that line or
     on a later line an invocation of that very command, `xiaobao <command path>` followed by its arguments
     (as `xiaobao ingest data/inbox/2025Q3 --report 2025Q3导入报告.json`), with some description before 示例：;
  3. every argument and option has help text;
  4. `xiaobao <command path> --help` shows that example, and `xiaobao --help` lists every command.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from xiaobao import cli
from xiaobao.cli import app

ROOT = Path(__file__).resolve().parents[2]

PROG = "xiaobao"
EXAMPLE_LABEL = "示例："
runner = CliRunner()


# ── the checker ───────────────────────────────────────────────────────────────────────────────────────────────
def walk(command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    """(path, command) for a click command and, recursively, every subcommand of a group; the root has path ()."""
    yield path, command
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        yield from walk(sub, (*path, name))


def commands(cli: typer.Typer) -> list[tuple[tuple[str, ...], object]]:
    """Every command and group below the top level, as the CLI itself builds them."""
    return [(path, cmd) for path, cmd in walk(typer.main.get_command(cli)) if path]


def examples(help_text: str, path: tuple[str, ...]) -> list[str]:
    """The invocations of `xiaobao <path>` in the help's example section (from the first 示例： on)."""
    invocation = " ".join((PROG, *path))
    lines = [line.strip() for line in help_text.splitlines()]
    for i, line in enumerate(lines):
        if line.startswith(EXAMPLE_LABEL):
            after = [line[len(EXAMPLE_LABEL):].strip(), *lines[i + 1:]]
            return [x for x in after if re.match(re.escape(invocation) + r"(\s|$)", x)]
    return []


def problems(cli: typer.Typer) -> list[str]:
    """What breaks the rule above, one line per problem; empty when every command is documented."""
    found = []
    root = typer.main.get_command(cli)
    for path, cmd in walk(root):
        label = " ".join((PROG, *path))
        text = (cmd.help or "").strip()
        if not text:
            found.append(f"{label}: no help text")
        elif path and not hasattr(cmd, "commands"):
            if not examples(text, path):
                found.append(f"{label}: no example (a line '{EXAMPLE_LABEL}' then '{label} …')")
            elif not text.split(EXAMPLE_LABEL, 1)[0].strip():
                found.append(f"{label}: only an example, no description before {EXAMPLE_LABEL}")
        for param in cmd.params:
            if not (getattr(param, "help", None) or "").strip():
                found.append(f"{label}: {param.opts[0] if param.opts else param.name} has no help text")
    return found


# ── the real CLI ──────────────────────────────────────────────────────────────────────────────────────────────
def test_the_cli_has_commands_to_check():
    assert len(commands(app)) >= 2  # a walk that found nothing would pass everything below


def test_every_command_has_help_an_example_and_documented_options():
    assert problems(app) == []


@pytest.mark.parametrize("path", [path for path, _ in commands(app)], ids=" ".join)
def test_help_output_shows_the_example(path):
    cmd = dict(commands(app))[path]
    result = runner.invoke(app, [*path, "--help"], terminal_width=200, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    for example in examples(cmd.help, path) or [" ".join((PROG, *path))]:
        assert " ".join(example.split()) in shown, result.output


def test_top_level_help_lists_every_command():
    result = runner.invoke(app, ["--help"], terminal_width=200, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    listed = set(re.findall(r"^\W*(\S+)", result.output, flags=re.MULTILINE))
    for path, cmd in commands(app):
        if len(path) == 1 and not cmd.hidden:
            assert path[0] in listed, result.output


# ── each command's module is imported only when it is needed ────────────────────────────────────────────────
def test_the_command_list_is_what_the_modules_register():
    found = {name: module for module in set(cli.COMMANDS.values()) for name in cli.registered(module)}
    assert found == cli.COMMANDS
    assert list(typer.main.get_command(app).list_commands(None)) == list(cli.COMMANDS)   # the order of --help


def test_serve_imports_neither_the_deck_nor_the_data_libraries():
    # a fresh interpreter: what `xiaobao serve` has imported when its command is found (before Streamlit)
    code = ("import sys, typer; from xiaobao.cli import app; "
            "typer.main.get_command(app).get_command(None, 'serve'); "
            "print(sorted(m for m in ('pptx', 'deck', 'polars', 'duckdb', 'pandas', 'query', 'etl') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "[]", done.stderr


# ── the checker catches what it should (on copies: the real app is left as it is) ─────────────────────────────
def copy_of_app() -> typer.Typer:
    copy = typer.Typer(name=PROG, help=app.info.help, no_args_is_help=True, add_completion=False, cls=app.info.cls)
    copy.registered_callback = app.registered_callback
    copy.registered_commands = list(app.registered_commands)
    copy.registered_groups = list(app.registered_groups)
    return copy


def new_problems(cli: typer.Typer) -> list[str]:
    """The problems of a copy that the real CLI does not have (those fail the test above)."""
    known = set(problems(app))
    return [p for p in problems(cli) if p not in known]


def _documented(out: str = typer.Option("-", "--out", help="输出文件")) -> None:
    """检查一切。

    示例：

        xiaobao check --out x.csv
    """


def test_a_documented_new_command_passes():
    cli = copy_of_app()
    cli.command("check")(_documented)
    assert new_problems(cli) == []


def test_a_new_command_without_help_fails():
    cli = copy_of_app()

    @cli.command("fake")
    def fake() -> None:
        pass

    assert new_problems(cli) == ["xiaobao fake: no help text"]
    assert ("fake",) not in dict(commands(app))  # the real CLI did not get it


def test_a_new_command_without_an_example_fails():
    cli = copy_of_app()
    cli.command("fake", help="做一件事，但没有示例。")(lambda: None)
    cli.command("other", help="示例写的是别的命令。\n\n示例：\n\n    xiaobao ingest inbox")(lambda: None)
    cli.command("bare", help="示例：xiaobao bare")(lambda: None)
    cli.command("prefix", help="前缀不算。\n\n示例：xiaobao prefixed")(lambda: None)
    assert new_problems(cli) == [
        "xiaobao bare: only an example, no description before 示例：",
        "xiaobao fake: no example (a line '示例：' then 'xiaobao fake …')",
        "xiaobao other: no example (a line '示例：' then 'xiaobao other …')",
        "xiaobao prefix: no example (a line '示例：' then 'xiaobao prefix …')",
    ]


def test_an_option_or_argument_without_help_fails():
    cli = copy_of_app()

    @cli.command("fake", help="做一件事。\n\n示例：xiaobao fake a.csv --out b.csv")
    def fake(src: str, out: str = typer.Option("-", "--out")) -> None:
        pass

    assert new_problems(cli) == ["xiaobao fake: src has no help text", "xiaobao fake: --out has no help text"]


def test_commands_inside_a_group_are_checked():
    cli = copy_of_app()
    group = typer.Typer()
    group.command("good")(_documented)  # its example names `xiaobao check`, not `xiaobao admin good`
    group.command("bad")(lambda: None)
    cli.add_typer(group, name="admin")
    assert new_problems(cli) == [
        "xiaobao admin: no help text",
        "xiaobao admin bad: no help text",
        "xiaobao admin good: no example (a line '示例：' then 'xiaobao admin good …')",
    ]
