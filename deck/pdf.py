"""PPTX → PDF offline with LibreOffice (Debian's libreoffice-impress; `make system-deps` installs it when missing).

Each conversion runs soffice with a profile of its own (`-env:UserInstallation`) in a temporary folder: two
instances sharing a profile clash (the second exits at once, or waits on the first's lock), and a meeting-room
laptop may build two decks at the same time. The CJK font comes from fonts-noto-cjk (the deck names it on every
East Asian run).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_S = 180


class PdfError(RuntimeError):
    """The conversion could not run or produced nothing; the message is Chinese."""


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise PdfError("未找到 LibreOffice（soffice）：请先运行 make system-deps 安装 libreoffice-impress。")
    return found


def convert(pptx: bytes, name: str = "deck") -> bytes:
    """The PDF of a PPTX's bytes (one page per slide)."""
    with tempfile.TemporaryDirectory(prefix="xiaobao-deck-") as tmp:
        folder = Path(tmp)
        source = folder / f"{name}.pptx"
        source.write_bytes(pptx)
        profile = folder / "profile"
        command = [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                   "--nologo", "--convert-to", "pdf", "--outdir", str(folder / "out"), str(source)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise PdfError(f"LibreOffice 转换 PDF 超时（{TIMEOUT_S} 秒）。") from None
        target = folder / "out" / f"{name}.pdf"
        if done.returncode != 0 or not target.exists():
            said = (done.stderr or done.stdout)[-500:]
            raise PdfError(f"LibreOffice 转换 PDF 失败（退出码 {done.returncode}）：{said}")
        return target.read_bytes()
