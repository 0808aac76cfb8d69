"""dashboard/server.py is what `xiaobao serve` runs: Streamlit must find its st.App (with the login routes and
the redirect) the way `streamlit run` does."""

from __future__ import annotations

from pathlib import Path

from streamlit.web.server.app_discovery import discover_asgi_app

from xiaobao import cli_serve

SERVER = Path(__file__).resolve().parents[2] / "dashboard" / "server.py"


def test_streamlit_run_finds_the_app_with_the_login_routes():
    found = discover_asgi_app(SERVER)
    assert found.is_asgi_app and found.import_string == "server:app"
    assert cli_serve.APP == SERVER and cli_serve.streamlit_args("127.0.0.1", 8501)[:2] == ["run", str(SERVER)]
    text = SERVER.read_text(encoding="utf-8")
    assert "web.routes()" in text and "web.LoginRedirect" in text
