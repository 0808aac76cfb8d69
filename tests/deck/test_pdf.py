"""deck/pdf.py: the deck converted once for the module with LibreOffice, then checked as a person would see it —
pdftoppm pages (one per slide, none blank, kept in artifacts/screenshots/deck_*.png), the CJK font embedded and
Chinese text extractable, and two conversions at the same time (a profile each) both succeeding."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from deck import Spec, build, pdf, slide_keys
from query import Warehouse
from tests.deck.slides import PERIOD

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                                reason="LibreOffice / poppler missing: run make system-deps")


@pytest.fixture(scope="module")
def pptx(deck_warehouse, kaleido_server) -> bytes:
    return build(Warehouse(deck_warehouse), Spec(period=PERIOD))


@pytest.fixture(scope="module")
def converted(pptx) -> bytes:
    return pdf.convert(pptx, "deck")


@pytest.fixture(scope="module")
def pages(converted, tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("pages")
    (folder / "deck.pdf").write_bytes(converted)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(folder / "deck.pdf"), str(folder / "page")], check=True)
    found = sorted(folder.glob("page-*.png"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("deck_*.png"):
        old.unlink()
    for i, page in enumerate(found, start=1):
        shutil.copy(page, SHOTS / f"deck_{i:02d}.png")
    return found


def test_one_page_per_slide_and_none_blank(converted, pages):
    assert converted.startswith(b"%PDF")
    assert len(pages) == len(slide_keys(Spec(period=PERIOD))) == 14
    for page in pages:
        image = Image.open(page).convert("L")
        assert image.width / image.height == pytest.approx(16 / 9, abs=0.01)
        inked = sum(n for value, n in enumerate(image.histogram()) if value < 200)
        assert inked > image.width * image.height * 0.005, page.name   # title, figures or chart ink on every page
        assert ImageStat.Stat(image).stddev[0] > 10, page.name


def test_chinese_is_set_in_the_cjk_font_and_reads_back(converted, tmp_path):
    path = tmp_path / "deck.pdf"
    path.write_bytes(converted)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "NotoSansCJK" in fonts.replace(" ", "")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    for words in ("主要指标（2025Q3）", "亿元保费投诉量", "纠纷调解", "报送情况", "边界数据"):
        assert words in text.replace(" ", ""), words


def test_concurrent_conversions_each_get_their_own_profile(pptx):
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: pdf.convert(pptx, "deck"), range(2)))
    assert all(r.startswith(b"%PDF") for r in results)


def test_a_missing_libreoffice_is_reported_in_chinese(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pdf.PdfError, match="make system-deps"):
        pdf.convert(b"PK", "deck")
