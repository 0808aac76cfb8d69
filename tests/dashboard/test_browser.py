"""End to end in Debian's Chromium: `xiaobao serve` on 127.0.0.1 over a real demo ingest, every page opened
and photographed, a filter changed, an export downloaded and compared byte for byte with `xiaobao export`,
a copied link reopened, and not one request leaving 127.0.0.1 (the meeting room has no internet).

Screenshots land in artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import quote, urlsplit

import polars as pl
import pytest

from dashboard import format as fmt
from dashboard import preload
from dashboard import submission_status as status
from fixtures.browser import PASSWORD, USERS, VIEWPORT, XIAOBAO, new_page, open_page, screenshot, wait_settled
from query import Filters, Warehouse, firm_status

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

PAGES = ("overview", "complaints", "mediation", "outreach", "map", "peers", "explorer", "submissions")
ENGLISH = PAGES
SCREENS = ((1280, 720), (1920, 1080))  # the projector sizes every page is photographed at, in both languages
TRACEBACK = re.compile(r"Traceback|Error:|抱歉，本页面暂时无法显示")


@pytest.fixture
def wh(e2e_warehouse) -> Warehouse:
    return Warehouse(e2e_warehouse[0])


def page_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def choose(page, label: str, option: str, param: str) -> None:
    """Pick `option` in the selectbox labelled `label` (sidebar or page), as a person does, then wait for the
    rerun it causes: the URL carries the new value of `param` once the app has run with it."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_url(lambda url: f"{param}={quote(option)}" in url or f"{param}={option}" in url)
    wait_settled(page)


def selected(page, label: str):
    return page.get_by_role("combobox", name=label)


def table_text(page) -> str:
    """The cells of the first table: st.dataframe draws on a canvas but keeps a hidden, accessible <table>
    copy of what it shows."""
    table = page.locator('[data-testid="stDataFrame"] table').first
    table.wait_for(state="attached")
    return table.text_content()


def metric_value(page, label: str):
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).locator(
        '[data-testid="stMetricValue"]')


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_offline_and_is_photographed(app_url, page, blocked_requests, lang):
    names = PAGES if lang == "zh" else ENGLISH
    for name in names:
        open_page(page, f"{app_url}/{name}" + ("?lang=en" if lang == "en" else ""))
        text = page_text(page)
        assert not TRACEBACK.search(text), f"{name}: {text[:500]}"
        assert page.locator('[data-testid="stMain"] h1').count() >= 1, name
        screenshot(page, name if lang == "zh" else f"{name}_en")
        for width, height in SCREENS:  # what a projector shows of the page's top
            page.set_viewport_size({"width": width, "height": height})
            wait_settled(page)
            screenshot(page, f"{name}_{lang}_{width}x{height}")
        page.set_viewport_size(VIEWPORT)
    assert blocked_requests == []


def test_the_map_draws_every_province_from_local_files(app_url, page, blocked_requests):
    open_page(page, f"{app_url}/map")
    paths = page.locator('[data-testid="stPlotlyChart"] path.choroplethlocation')
    assert paths.count() >= 34  # 31 provinces, Hong Kong, Macao, Taiwan at least
    assert blocked_requests == []


def test_the_element_code_comes_with_the_page_and_the_chart_code_is_run_from_a_hidden_element(app_url, page):
    """dashboard/preload.py in a browser with nothing cached: every file the Link header names is fetched and
    served, the element that imports the chart code takes no room, and the charts draw."""
    served: dict[str, int] = {}
    page.on("response", lambda r: served.setdefault(urlsplit(r.url).path, r.status))
    response = page.goto(f"{app_url}/overview", wait_until="domcontentloaded")
    wait_settled(page)
    named = re.findall(r"<(/static/js/[^>]+)>; rel=modulepreload", response.headers.get("link", ""))
    assert len(named) > 9 and any("/PlotlyChart." in f for f in named)   # the 9 elements, then what they import
    assert all(served.get(f) == 200 for f in named), {f: served.get(f) for f in named if served.get(f) != 200}
    assert not [p for p, status in served.items() if p.startswith("/static/") and status >= 400]
    hidden = page.locator(f".st-key-{preload.CHART_CODE_KEY}")
    assert hidden.count() == 1 and not hidden.is_visible()
    assert page.locator('[data-testid="stPlotlyChart"] .main-svg').count() > 0


def test_changing_the_firm_type_changes_the_numbers_to_the_query_layers(app_url, page, wh):
    period = wh.periods()[-1]
    life = wh.firms().filter(pl.col("firm_type") == "人身险")
    open_page(page, f"{app_url}/submissions?period={period}")
    expect(metric_value(page, "应报公司")).to_have_text(str(wh.firms().height))
    choose(page, "公司类型", "人身险", "type")
    expect(metric_value(page, "应报公司")).to_have_text(str(life.height))

    # On the peer page, another quarter: the firm's first metric becomes that quarter's value.
    earlier = wh.periods()[-2]
    focus = life["firm_id"][0]
    open_page(page, f"{app_url}/peers?period={period}&focus_firm={focus}")
    choose(page, "报告期", earlier, "period")
    first = next(m for m in wh.metrics if m.kind in ("rate", "index"))
    value = wh.peers(first.id, earlier, "人身险").filter(pl.col("firm_id") == focus)["value"][0]
    wanted = fmt.fmt_value(value, first.unit_zh, "zh")
    # each metric row has two annotations, its name (with its scale) on the left and the firm's value on the right
    annotation = page.locator('[data-testid="stPlotlyChart"] .annotation-text').nth(1)
    expect(annotation).to_have_text(re.compile("^" + re.escape(wanted)))


def test_the_csv_download_is_byte_for_byte_the_export_command(app_url, page, wh, e2e_warehouse, tmp_path):
    period = wh.periods()[-1]
    metrics, by = "complaints_per_100m_premium,mediation_success_rate", "firm,province"
    open_page(page, f"{app_url}/explorer?period={period}&type=财产险&metrics={metrics}&by={by}")
    audit = e2e_warehouse[0] / "audit" / "log.jsonl"
    before = audit.read_text(encoding="utf-8").count("\n") if audit.exists() else 0
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 CSV").click()
    downloaded = Path(download.value.path()).read_bytes()
    cli = subprocess.run([str(XIAOBAO), "export", metrics, "--by", by, "--period", period, "--firm-type", "财产险",
                          "--labels", "zh", "--warehouse", str(e2e_warehouse[0])],
                         capture_output=True, check=True, timeout=120)
    assert downloaded == cli.stdout
    expected = wh.table(metrics.split(","), by.split(","), Filters(period=period, firm_type="财产险"))
    assert downloaded.decode("utf-8-sig").count("\n") == expected.height + 1
    # The download and the command each left an audit line.
    assert audit.read_text(encoding="utf-8").count("\n") == before + 2


def test_a_copied_link_reopens_the_same_view(app_url, page, chromium, blocked_requests, wh):
    period = wh.periods()[-2]
    open_page(page, f"{app_url}/explorer?period={period}&metrics=complaints_total,mediation_success_rate&by=province")
    all_types = table_text(page)
    choose(page, "公司类型", "财产险", "type")
    # The grid redraws its cells a moment after the run ends: wait for the filtered figures.
    page.wait_for_function("""(old) => {
        const t = document.querySelector('[data-testid="stDataFrame"] table');
        return t !== null && t.textContent !== old; }""", arg=all_types)
    expected = wh.table(["complaints_total", "mediation_success_rate"], ["province"],
                        Filters(period=period, firm_type="财产险"))
    expect(page.get_by_text(f"共 {expected.height:,} 行")).to_be_visible()
    link = page.locator('[data-testid="stCode"]').filter(has_text="/explorer?").inner_text().strip()
    assert link.startswith(f"{app_url}/explorer?")
    table_before = table_text(page)
    chips_before = page.locator('[data-testid="stMultiSelect"]').all_inner_texts()[:2]

    fresh = new_page(chromium, blocked_requests)   # another browser: not logged in yet
    try:
        fresh.goto(link, wait_until="domcontentloaded")   # → the login form, which then returns to the link
        fresh.get_by_label("用户名").fill(USERS["analyst"])
        fresh.get_by_label("密码").fill(PASSWORD)
        fresh.get_by_role("button", name="登录").click()
        fresh.wait_for_url(link)
        wait_settled(fresh)
        expect(fresh.get_by_text(f"共 {expected.height:,} 行")).to_be_visible()
        assert fresh.locator('[data-testid="stMultiSelect"]').all_inner_texts()[:2] == chips_before
        expect(selected(fresh, "公司类型")).to_have_value("财产险")
        expect(selected(fresh, "报告期")).to_have_value(period)
        assert table_text(fresh) == table_before
    finally:
        fresh.context.close()
    assert blocked_requests == []


def test_a_rejected_file_and_its_error_list_download_as_received(app_url, page, wh, e2e_warehouse, tmp_path):
    period = "2024Q1"  # the demo's genuine errors
    audit = e2e_warehouse[0] / "audit" / "log.jsonl"
    before = audit.read_text(encoding="utf-8").count("\n") if audit.exists() else 0
    first = firm_status.problem_files(wh.submissions(Filters(period=period))).row(0, named=True)
    open_page(page, f"{app_url}/submissions?period={period}&section=problems")
    expander = page.locator('[data-testid="stExpander"]').filter(has_text=first["file_name"])
    with page.expect_download() as original:
        expander.get_by_role("button", name="下载原始文件").click()
    assert original.value.suggested_filename == first["file_name"]
    assert Path(original.value.path()).read_bytes() == wh.original_file(first["submission_id"])[1]
    with page.expect_download() as errors:
        expander.get_by_role("button", name="下载错误清单（CSV）").click()
    assert Path(errors.value.path()).read_bytes() == status.issues_csv(status.issues_frame(first["issues_json"]),
                                                                       warehouse=tmp_path)
    # Both downloads left an audit line (the original file and the error list).
    assert audit.read_text(encoding="utf-8").count("\n") == before + 2


def test_the_other_firm_type_tab_draws_its_own_ranking_when_opened(app_url, page, wh):
    period = wh.periods()[-1]
    rate = "complaints_per_100m_premium"

    def ranked(firm_type: str) -> list[str]:
        return wh.peers(rate, period, firm_type).drop_nulls("value").sort("value", descending=True)[
            "firm_name"].to_list()

    open_page(page, f"{app_url}/complaints?period={period}")
    charts = page.locator('.st-key-slide_firms [data-testid="stPlotlyChart"] .js-plotly-plot')
    assert charts.count() == 1  # tabs are lazy: only the open one is drawn
    assert charts.first.evaluate("gd => gd.data[0].y") == ranked("财产险")
    page.get_by_role("tab", name="人身险").click()
    page.wait_for_function("(names) => { const gd = document.querySelector("
                           "'.st-key-slide_firms [data-testid=\"stPlotlyChart\"] .js-plotly-plot');"
                           " return gd && gd.data && gd.data[0].y[0] === names[0]; }", arg=ranked("人身险"))
    wait_settled(page)
    assert charts.count() == 1
    assert charts.first.evaluate("gd => gd.data[0].y") == ranked("人身险")


# Every text box inside a headline tile that is cut (Streamlit's one-line ellipsis) or sticks out of its tile.
CUT_TILE_TEXT = """() => [...document.querySelectorAll('[data-testid="stMetric"]')].flatMap(tile => {
  const box = tile.getBoundingClientRect();
  return [...tile.querySelectorAll('*')].filter(e => {
    const style = getComputedStyle(e), r = e.getBoundingClientRect();
    const clipped = (style.textOverflow === 'ellipsis' || style.overflowX === 'hidden')
      && e.scrollWidth > e.clientWidth + 1;
    return e.innerText && (clipped || r.right > box.right + 1);
  }).map(e => tile.querySelector('[data-testid="stMetricLabel"]').innerText + ': ' + e.innerText);
})"""
# (page, languages): the overview in both; the other pages in English, whose labels are the longer ones.
TILE_PAGES = {(1280, 720): (("overview", ("zh", "en")), ("mediation", ("en",)), ("outreach", ("en",))),
              (1366, 768): (("overview", ("zh", "en")),),
              (1920, 1080): (("overview", ("zh", "en")), ("outreach", ("en",)))}


def test_headline_tiles_are_never_cut_at_projector_sizes(app_url, page):
    tiles_seen = loads = 0
    for (width, height), pages in TILE_PAGES.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, langs in pages:
            for lang in langs:
                for present in ("0", "1"):
                    open_page(page, f"{app_url}/{'' if name == 'overview' else name}?lang={lang}&present={present}")
                    page.locator('[data-testid="stMetric"]').first.wait_for()
                    tiles_seen += page.locator('[data-testid="stMetric"]').count()
                    loads += 1
                    assert page.evaluate(CUT_TILE_TEXT) == [], (width, name, lang, present)
    screenshot(page, "overview_tiles_1920_en_present")
    assert loads == 18 and tiles_seen >= 4 * loads


def test_an_unknown_page_path_says_so_in_plain_text(app_url, page, blocked_requests):
    open_page(page, f"{app_url}/no-such-page")
    expect(page.get_by_text("找不到页面“no-such-page”，已打开总览。")).to_be_visible()
    open_page(page, f"{app_url}/**bold**?lang=en")
    expect(page.get_by_text("There is no page “**bold**”; showing the overview instead.")).to_be_visible()
    open_page(page, f"{app_url}/complaints")
    assert "找不到页面" not in page_text(page)
