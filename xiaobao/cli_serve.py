"""`xiaobao serve`: the dashboard (Streamlit, with the login in front: dashboard/server.py) on a host and port,
over a chosen warehouse, with a chosen users file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from auth import sessions, users
from core.settings import ROOT, registry_path, warehouse_dir
from dashboard import warm
from xiaobao.options import UsersOpt, WarehouseOpt

APP = ROOT / "dashboard" / "server.py"


def streamlit_args(host: str, port: int) -> list[str]:
    """The `streamlit run` arguments for the app on host:port."""
    return ["run", str(APP), "--server.address", host, "--server.port", str(port), "--server.headless", "true"]


def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址；局域网访问用 0.0.0.0。")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口。")] = 8501,
    warehouse: WarehouseOpt = None,
    registry: Annotated[Path | None, typer.Option(
        "--registry",
        help="会员名录 firms.csv（默认 data/reference/firms.csv，或环境变量 XIAOBAO_REGISTRY）。")] = None,
    users_file: UsersOpt = None,
) -> None:
    """启动分析看板（Streamlit），须先登录。数据仓库更新后无需重启，页面自动显示新数据。

    用户由 xiaobao user add 创建；会话密钥在首次启动时生成到 data/session.key（仅本人可读；环境变量
    XIAOBAO_SECRET_FILE 可改）。重启服务后所有人需重新登录。

    示例：

        xiaobao serve --host 127.0.0.1 --port 8501 --warehouse data/parquet
    """
    # Absolute paths, resolved against the caller's directory: streamlit runs from the repository root
    # (where .streamlit/config.toml is).
    os.environ["XIAOBAO_WAREHOUSE"] = str(warehouse_dir(warehouse).resolve())
    os.environ["XIAOBAO_REGISTRY"] = str(registry_path(registry).resolve())
    users_at = users.users_path(users_file).resolve()
    os.environ[users.USERS_ENV] = str(users_at)
    secret_at = sessions.secret_path().resolve()
    os.environ[sessions.SECRET_ENV] = str(secret_at)
    try:
        sessions.load_secret(secret_at)   # generated now, at first start, owner-only
        accounts = users.load(users_at)
    except (OSError, ValueError) as exc:
        typer.echo(f"无法启动：{exc}", err=True)
        raise typer.Exit(2) from exc
    if not accounts:
        typer.echo(f"提示：用户文件 {users_at} 中还没有用户，无人能登录；"
                   "先运行 xiaobao user add 用户名 --role secretariat。", err=True)
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
