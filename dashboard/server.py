"""The dashboard's web server: Streamlit's app (dashboard/app.py) with the login in front, as one `st.App`.

`xiaobao serve` runs `streamlit run dashboard/server.py`; Streamlit finds `app` below and serves it with uvicorn
in the same process (so the server keeps the PID of `xiaobao serve`). The login routes and the redirect of
page loads without a session are auth.web's; each script run still checks the session itself
(dashboard.session.user), since a websocket outlives the page load that opened it. Streamlit imports this file
as the top-level module `server`; the packages it uses come from the installed project (`make install`).
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from auth import web
from dashboard import preload

app = st.App("app.py", routes=web.routes(), middleware=[Middleware(web.LoginRedirect), Middleware(preload.Preload)])
