"""A few lines of HTTP client for the login routes, straight over ASGI (starlette's TestClient needs httpx, which
this project does not install). `Client` keeps cookies between requests as a browser would (by name; it
honours Max-Age=0 deletions)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)

    def set_cookies(self) -> list[str]:
        return [v for k, v in self.headers if k == "set-cookie"]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Client:
    app: object
    address: str = "127.0.0.1"
    scheme: str = "http"
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, url: str, **kwargs) -> Answer:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, form: dict[str, str] | None = None, **kwargs) -> Answer:
        return self.request("POST", url, body=urlencode(form or {}).encode("utf-8"),
                            headers={"content-type": "application/x-www-form-urlencoded", **kwargs.pop("headers", {})},
                            **kwargs)

    def request(self, method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
        parts = urlsplit(url)
        sent = {"host": "testserver", "content-length": str(len(body)), **(headers or {})}
        if self.cookies:
            sent["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": self.scheme, "path": parts.path, "raw_path": parts.path.encode(),
                 "query_string": parts.query.encode(), "root_path": "",
                 "headers": [(k.lower().encode(), v.encode()) for k, v in sent.items()],
                 "client": (self.address, 50000), "server": ("testserver", 80)}
        answer = asyncio.run(_call(self.app, scope, body))
        for line in answer.set_cookies():
            jar: SimpleCookie = SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value or morsel.value == '""':
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return answer


async def _call(app, scope: dict, body: bytes) -> Answer:
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status, headers, chunks = 0, [], []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = [(k.decode().lower(), v.decode()) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return Answer(status, headers, b"".join(chunks))
