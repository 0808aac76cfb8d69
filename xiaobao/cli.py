"""The `xiaobao` console command. Each layer registers its own subcommands."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="xiaobao",
    help="xiaobao 消保分析：会员公司季度报送 → 数据仓库 → 分析看板。",
    no_args_is_help=True,
    add_completion=False,
)


def _register() -> None:
    # Imported here so that `xiaobao --help` lists every layer's commands, and a layer's import cost is paid once.
    from xiaobao import cli_audit, cli_deck, cli_demo, cli_export, cli_ingest, cli_period, cli_serve, cli_user

    for module in (cli_demo, cli_ingest, cli_export, cli_period, cli_serve, cli_user, cli_audit, cli_deck):
        module.register(app)


_register()
