"""The `xiaobao` command: every subcommand the issues ask for exists, and its help carries an example."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from xiaobao.cli import app

COMMANDS = ("template", "demo", "ingest", "validate", "status", "serve", "export", "peers", "anomalies")
runner = CliRunner()


def test_top_level_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for name in COMMANDS:
        assert name in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name):
    result = runner.invoke(app, [name, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    # Help texts end with an example invocation (示例 / 例如 followed by the command line).
    assert "xiaobao " + name in result.output, result.output
    assert "示例" in result.output or "例" in result.output, result.output
