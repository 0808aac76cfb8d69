"""The `xiaobao` console command. Each layer registers its own subcommands.

A command's module is imported only when that command runs (or help lists it): `xiaobao serve` does not import
what `xiaobao deck` needs (python-pptx, polars …), which cost the dashboard's start about a second.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup

# Each command or group (as `xiaobao --help` lists them) and the module whose register() adds it.
# tests/xiaobao/test_cli.py checks this against what the modules register.
COMMANDS = {"template": "cli_demo", "demo": "cli_demo", "ingest": "cli_ingest", "validate": "cli_ingest",
            "status": "cli_ingest", "export": "cli_export", "peers": "cli_export", "anomalies": "cli_export",
            "serve": "cli_serve", "audit": "cli_audit", "deck": "cli_deck", "period": "cli_period",
            "user": "cli_user"}


def registered(module_name: str) -> dict[str, Any]:
    """The click commands that xiaobao.<module_name>'s register() adds, by name."""
    module = importlib.import_module(f"xiaobao.{module_name}")
    scratch = typer.Typer(add_completion=False)
    scratch.callback()(lambda: None)   # a group even when the module adds a single command
    module.register(scratch)
    return dict(typer.main.get_command(scratch).commands)  # type: ignore[attr-defined]


class _Commands(MutableMapping[str, Any]):
    """COMMANDS' names, each command built from its module on first use."""

    def __init__(self, given: MutableMapping[str, Any]) -> None:
        self._built = dict(given)

    def __getitem__(self, name: str) -> Any:
        if name not in self._built and name in COMMANDS:
            self._built.update(registered(COMMANDS[name]))
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self._built if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS.keys() | self._built.keys())


class LazyGroup(TyperGroup):
    """The top-level group: commands from COMMANDS, imported when asked for."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = _Commands(self.commands)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)   # names only: nothing imported


app = typer.Typer(
    name="xiaobao",
    help="xiaobao 消保分析：会员公司季度报送 → 数据仓库 → 分析看板。",
    no_args_is_help=True,
    add_completion=False,
    cls=LazyGroup,
)


@app.callback()
def _root() -> None:   # a group of the commands above (its help is the app's)
    pass
