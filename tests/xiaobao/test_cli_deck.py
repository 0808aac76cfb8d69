"""xiaobao deck: a deck written to --out (PPTX, the quarter in any spelling, default the latest), and a message with
exit 2 for what cannot be built (unknown quarter, firm type, language, output type, user, empty warehouse)."""

from __future__ import annotations

import hashlib

import pytest
from typer.testing import CliRunner

from core import audit
from deck import Spec, slide_keys
from tests.deck.slides import all_text, by_key, open_deck
from xiaobao.cli import app

runner = CliRunner()
PASSWORD = "correct-horse-battery-2026"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from fixtures import synthetic

    path = tmp_path_factory.mktemp("wh")
    synthetic.build(path, years=1, firms=12, seed=1)
    return path


@pytest.fixture(scope="module")
def users_file(tmp_path_factory):
    from auth import users

    path = tmp_path_factory.mktemp("users") / "users.json"
    users.add(path, "member1", "member", PASSWORD, firm_id="S001")
    users.add(path, "gone", "member", PASSWORD, firm_id="S002")
    users.set_disabled(path, "gone", True)
    users.add(path, "analyst1", "analyst", PASSWORD)
    return path


def test_a_members_deck_from_the_command_line_names_only_its_own_firm(warehouse, users_file, tmp_path):
    out = tmp_path / "member.pptx"
    result = runner.invoke(app, ["deck", "--user", "member1", "--users", str(users_file), "--warehouse",
                                 str(warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = "".join(t for _, t in all_text(out.read_bytes()))
    assert "合成1号财险" in text and "同业" in text
    assert not [f"S{i:03d}" for i in range(2, 13) if f"S{i:03d}" in text]
    assert not [f"合成{i}号" for i in range(2, 13) if f"合成{i}号" in text]
    (line,) = [x for x in audit.read(warehouse) if x["what"] == "deck" and x["who"] == "member1"]
    assert line["format"] == "pptx"


def test_a_deck_is_written_for_the_quarter_asked_for(warehouse, tmp_path):
    out = tmp_path / "会议.pptx"
    result = runner.invoke(app, ["deck", "--period", "2025年第二季度", "--firm-type", "财产险", "--warehouse",
                                 str(warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"已生成 {out}（2025Q2" in " ".join(result.stdout.split()).replace(" （", "（")
    slides = by_key(open_deck(out.read_bytes()))
    assert list(slides) == slide_keys(Spec(period="2025Q2", firm_type="财产险"))
    assert slides["headlines"].shapes.title.text == "主要指标（2025Q2）"
    assert not list(tmp_path.glob("*.tmp*"))   # written atomically: nothing left beside it
    (line,) = [x for x in audit.read(warehouse) if x["what"] == "deck" and x["destination"] == str(out.resolve())]
    assert (line["format"], line["filters"], line["destination"]) == (
        "pptx", {"period": "2025Q2", "firm_type": "财产险", "lang": "zh"}, str(out.resolve()))
    assert line["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


@pytest.mark.parametrize(("options", "said"), [
    (["--period", "2031Q1"], "2031Q1"),
    (["--period", "soon"], "soon"),
    (["--firm-type", "寿险"], "寿险"),
    (["--lang", "fr"], "fr"),
    (["--user", "nobody"], "nobody"),
    (["--user", "gone"], "已停用"),
])
def test_what_cannot_be_built_exits_2_and_says_why(warehouse, users_file, tmp_path, options, said):
    out = tmp_path / "deck.pptx"
    result = runner.invoke(app, ["deck", *options, "--warehouse", str(warehouse), "--users", str(users_file),
                                 "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert said in result.output and "错误" in result.output
    assert not out.exists()


def test_only_pptx_or_pdf_and_an_empty_warehouse_is_refused(warehouse, tmp_path):
    result = runner.invoke(app, ["deck", "--warehouse", str(warehouse), "--out", str(tmp_path / "deck.docx")])
    assert result.exit_code == 2 and ".pptx 或 .pdf" in result.output
    result = runner.invoke(app, ["deck", "--warehouse", str(tmp_path / "none"), "--out", str(tmp_path / "d.pptx")])
    assert result.exit_code == 2 and "为空" in result.output
