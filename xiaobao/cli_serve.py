"""`xiaobao serve`: the dashboard (Streamlit) on a host and port, over a chosen warehouse."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from core.settings import ROOT, registry_path, warehouse_dir
from dashboard import warm

APP = ROOT / "dashboard" / "app.py"


def streamlit_args(host: str, port: int) -> list[str]:
    """The `streamlit run` arguments for the app on host:port."""
    return ["run", str(APP), "--server.address", host, "--server.port", str(port), "--server.headless", "true"]


def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址；局域网访问用 0.0.0.0。")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口。")] = 8501,
    warehouse: Annotated[Path | None, typer.Option(
        "--warehouse", help="数据仓库目录（默认 data/parquet，或环境变量 XIAOBAO_WAREHOUSE）。")] = None,
    registry: Annotated[Path | None, typer.Option(
        "--registry",
        help="会员名录 firms.csv（默认 data/reference/firms.csv，或环境变量 XIAOBAO_REGISTRY）。")] = None,
) -> None:
    """启动分析看板（Streamlit）。数据仓库更新后无需重启，页面自动显示新数据。

    示例：

        xiaobao serve --host 127.0.0.1 --port 8501 --warehouse data/parquet
    """
    # Absolute paths, resolved against the caller's directory: streamlit runs from the repository root
    # (where .streamlit/config.toml is).
    os.environ["XIAOBAO_WAREHOUSE"] = str(warehouse_dir(warehouse).resolve())
    os.environ["XIAOBAO_REGISTRY"] = str(registry_path(registry).resolve())
    typer.echo(f"消保分析看板：http://{host}:{port}  （Ctrl+C 停止）")
    os.chdir(ROOT)
    # In this process (not a child): the server keeps this process id, so whoever started `xiaobao serve`
    # can stop it by PID, and it shares the warm-up's caches.
    import pandas  # noqa: F401  (before the warm-up thread: see dashboard.warm.start)
    from streamlit.web import cli as streamlit_cli

    warm.start(warehouse_dir())  # imports and the warehouse load overlap the server start and the browser's
    streamlit_cli.main(args=streamlit_args(host, port), prog_name="streamlit")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
