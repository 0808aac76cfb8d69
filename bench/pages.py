"""Dashboard benchmark in Chromium on a synthetic warehouse (default 10 years × 250 firms × 36 regions).

1. Cold start, each in a just-started server and Chromium (nothing of the app cached), median of COLD_STARTS:
   server started → the login page drawn; login submitted → the first page drawn.
2. Every page on a 1920×1080 screen, logged in as the secretariat and as a member (scope on), in the normal and the
   presentation view:
   a new quarter chosen → every chart settled, p50 / p95 over CHANGES changes, each quarter new to that page's
   caches, each change in the next of the page's sections (drawn one at a time, dashboard/sections.py: a tab in the
   normal view, ◀ ▶ on the projector), and the move to that section timed too (`section_move`).
   Normal view: the sidebar's 报告期 select (timed from the click on the option); presentation view: the
   ◀ previous-quarter button above the slides. Each change's time is split into the server's share (the script
   runs it caused, as the app logs them with XIAOBAO_RUN_LOG: dashboard/timing.py) and the browser's (the rest:
   sending, drawing, Plotly's layout).
3. The app process's peak RSS (VmHWM) after all of it.

    python bench/pages.py                 # the whole benchmark at 1× (make bench)
    python bench/pages.py --scale 10 --views normal --no-cold-start     # what bench/growth.py runs per size
    python bench/pages.py --cold-start-only

Targets on 2 cores: every page p95 < 500 ms, cold start < 3 s each. Prints JSON (and writes bench/out/pages.json
for the default run).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import polars as pl
from scales import SCALES  # bench/scales.py: the sizes bench/queries.py shares

from core.reference import REGISTRY_COLUMNS
from dashboard import sections
from fixtures import browser, synthetic

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"

PAGES = ("overview", "complaints", "mediation", "outreach", "map", "peers", "explorer", "submissions")
ROLES = ("secretariat", "member")
VIEWS = ("normal", "present")
CHANGES = 12
COLD_STARTS = 3
# Data sizes: 1× is 10 years × 250 firms; the others grow both (firm-quarters ×4, ×10).
TARGETS = {"page_p95_ms": 500, "cold_start_s": 3}
SCREEN = {"width": 1920, "height": 1080}   # a meeting room's projector, or a desktop screen
APP = '[data-testid="stApp"]'


def summary(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[round(0.95 * (len(ms) - 1))], 1),
            "max_ms": round(ms[-1], 1), "n": len(ms)}


def peak_rss_mib(pid: int) -> float | None:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


class RunLog:
    """The server's script runs (dashboard/timing.py): the ms of those that started after a moment."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.unlink(missing_ok=True)

    def since(self, moment: float) -> tuple[float, float]:
        """Wall ms and CPU ms of the runs that started after `moment`, summed (one read of the log)."""
        if not self.path.exists():
            return 0.0, 0.0
        runs = [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]
        after = [r for r in runs if r["start"] >= moment - 0.005]
        return sum(r["ms"] for r in after), sum(r["cpu_ms"] for r in after)


def busy_ms(cdp) -> float:
    """The page's main thread's busy time so far (Chromium's TaskDuration): the browser's CPU, however busy the
    machine is."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["TaskDuration"] * 1000


def users_for(warehouse: Path, folder: Path) -> tuple[Path, dict[str, str]]:
    """A users file with a secretariat and a member user (the member bound to the first firm)."""
    from query import Warehouse

    registry = folder / "firms.csv"
    Warehouse(warehouse).firms().with_columns(aliases=pl.lit("")).select(REGISTRY_COLUMNS).write_csv(registry)
    users_file = folder / "users.json"
    users_file.unlink(missing_ok=True)
    return users_file, browser.add_users(users_file, registry, warehouse, roles=ROLES)


def cold_start(playwright, warehouse: Path, users_file: Path, user_name: str) -> dict:
    """Server process started → login page drawn; login submitted → first page drawn; each in a new Chromium."""
    runs = []
    for _ in range(COLD_STARTS):
        chromium = browser.launch(playwright)
        page = browser.new_page(chromium, [], SCREEN)
        t0 = time.perf_counter()
        with browser.serve(warehouse, log=OUT / "serve.log", users=users_file) as url:
            healthy = time.perf_counter() - t0
            page.goto(f"{url}/")                       # no session yet: redirected to the login form
            page.locator("#username").wait_for()
            login_page = time.perf_counter() - t0
            page.fill("#username", user_name)
            page.fill("#password", browser.PASSWORD)
            t1 = time.perf_counter()
            page.locator("form button, form input[type=submit]").first.click()
            page.wait_for_selector(APP)
            browser.wait_settled(page)
            first_page = time.perf_counter() - t1
            runs.append({"health_ok_s": round(healthy, 2), "login_page_drawn_s": round(login_page, 2),
                         "login_to_first_page_s": round(first_page, 2)})
        chromium.close()
    return {"runs": runs,
            "login_page_drawn_median_s": statistics.median(r["login_page_drawn_s"] for r in runs),
            "login_to_first_page_median_s": statistics.median(r["login_to_first_page_s"] for r in runs)}


def quarter_option(page, quarter: str):
    """The sidebar's 报告期 select opened and `quarter` typed: its option, ready to click."""
    page.get_by_role("combobox", name="报告期").click()
    page.keyboard.type(quarter)   # the list is virtual: older quarters exist only once typed for, as a person does
    choice = page.get_by_role("option", name=quarter, exact=True)
    choice.wait_for()
    return choice


def previous_quarter(page, quarter: str):
    """The presentation view's ◀ button (to `quarter`)."""
    return page.locator(".st-key-present_prev_quarter button:visible").first


def timed_change(page, runs: RunLog, target, quarter: str, cdp) -> dict:
    """ms from the click on `target(page, quarter)` until the URL has `quarter` and every chart has settled, with
    the server's share of it; and the CPU each side spent (the server process, the browser page's main thread)."""
    element = target(page, quarter)
    busy, moment = busy_ms(cdp), time.time()
    element.click()
    page.wait_for_url(lambda u: f"period={quote(quarter)}" in u or f"period={quarter}" in u)
    browser.wait_settled(page)
    total = (time.time() - moment) * 1000
    server, server_cpu = runs.since(moment)
    return {"total": total, "server": server, "browser": max(0.0, total - server),
            "server_cpu": server_cpu, "browser_cpu": busy_ms(cdp) - busy}


def pingpong(n: int, count: int) -> list[int]:
    """`count` section positions stepping through 0 … n-1 and back (1, 2, …, n-1, n-2, …, 0, 1, …): every section
    visited, one step at a time, as a person pages."""
    if n < 2:
        return [0] * count
    cycle = [*range(1, n), *range(n - 2, -1, -1)]
    return [cycle[i % len(cycle)] for i in range(count)]


def section_tabs(page):
    """The page's section tabs (the first tab bar in their container: a section may hold tabs of its own)."""
    return page.locator(f".st-key-{sections.TABS} [role=tablist]").first.locator("[role=tab]")


def section_count(page, view: str) -> int:
    """The page's sections: its tabs (normal view), or `n / total` of the projector's ◀ ▶ bar."""
    if view == "normal":
        return section_tabs(page).count()
    nav = page.locator(f".st-key-{sections.NAV}")
    return int(nav.inner_text().split("/")[1].split("·")[0]) if nav.count() else 0


def timed_section(page, runs: RunLog, view: str, at: int, to: int, cdp) -> dict:
    """ms from the click on section `to`'s tab (the projector: ◀ or ▶ from section `at`) until it is drawn."""
    before = page.url
    if view == "normal":
        element = section_tabs(page).nth(to)
    else:
        element = page.locator(f".st-key-{sections.NEXT if to > at else sections.PREV} button:visible").first
    busy, moment = busy_ms(cdp), time.time()
    element.click()
    page.wait_for_url(lambda u: u != before and "section=" in u)
    browser.wait_settled(page)
    total = (time.time() - moment) * 1000
    server, server_cpu = runs.since(moment)
    return {"total": total, "server": server, "browser": max(0.0, total - server),
            "server_cpu": server_cpu, "browser_cpu": busy_ms(cdp) - busy}


def page_changes(page, url: str, name: str, view: str, quarters: list[str], runs: RunLog) -> dict:
    """CHANGES quarter changes on one page in one view, each in the next section (sections are drawn one at a time,
    dashboard/sections.py: the change is timed in each of them, and so is the move to it)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    if view == "normal":
        browser.open_page(page, f"{url}/{name}")
        changes = quarters
    else:   # start one quarter after the first to show, then step back through them
        browser.open_page(page, f"{url}/{name}?present=1&period={quarters[0]}")
        changes = quarters[1:]
    target = quarter_option if view == "normal" else previous_quarter
    found, moves, at = [], [], 0
    for quarter, to in zip(changes, pingpong(section_count(page, view), len(changes)), strict=True):
        if to != at:
            moves.append(timed_section(page, runs, view, at, to, cdp))
            at = to
        found.append(timed_change(page, runs, target, quarter, cdp))
    cdp.detach()

    def median(what: str) -> float:
        return round(statistics.median(c[what] for c in found), 1)

    return {"total": summary([c["total"] for c in found]),
            "server_p50_ms": median("server"), "browser_p50_ms": median("browser"),
            "server_share": round(sum(c["server"] for c in found) / sum(c["total"] for c in found), 2),
            "server_cpu_p50_ms": median("server_cpu"), "browser_cpu_p50_ms": median("browser_cpu"),
            "section_move": summary([m["total"] for m in moves]) if moves else None}


def pages(playwright, warehouse: Path, users_file: Path, names: dict[str, str], views: tuple[str, ...],
          changes: int, only: tuple[str, ...] = PAGES, roles: tuple[str, ...] = ROLES) -> dict:
    """Every page × role × view on one server; then the server's peak RSS."""
    from query import Warehouse

    newest_first = list(reversed(Warehouse(warehouse).periods()))
    # Disjoint quarters per view (each change new to the caches); the latest is what a page opens on.
    spans = {"normal": newest_first[1:changes + 1], "present": newest_first[changes + 1:2 * changes + 2]}
    runs = RunLog(OUT / "runs.jsonl")
    os.environ["XIAOBAO_RUN_LOG"] = str(runs.path)
    out: dict = {}
    blocked: list[str] = []
    chromium = browser.launch(playwright)
    try:
        with browser.serve_process(warehouse, log=OUT / "serve.log", users=users_file) as (url, proc):
            for role in roles:
                page = browser.new_page(chromium, blocked, SCREEN)
                browser.log_in(page, url, names[role])
                for view in views:
                    for name in only:
                        out.setdefault(name, {})[f"{role} {view}"] = page_changes(page, url, name, view, spans[view],
                                                                                  runs)
                page.context.close()
            out["_app_peak_rss_mib"] = peak_rss_mib(proc.pid)
    finally:
        os.environ.pop("XIAOBAO_RUN_LOG", None)
        chromium.close()
    out["_external_requests"] = blocked
    return out


def main(scale: int = 1, views: tuple[str, ...] = VIEWS, changes: int = CHANGES, cold: bool = True,
         pages_too: bool = True, only: tuple[str, ...] = PAGES, roles: tuple[str, ...] = ROLES,
         warehouse: Path | None = None) -> dict:
    """The benchmark at `scale` (SCALES); on `warehouse` if given (a synthetic build of that scale, as
    bench/growth.py passes), else on a new build, whose time is reported as build_s."""
    from playwright.sync_api import sync_playwright

    years, firms = SCALES[scale]
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        built = warehouse is None
        warehouse = warehouse or synthetic.build(Path(tmp) / "wh", years=years, firms=firms, seed=1)
        result: dict = {"benchmark": "pages", "scale": {"factor": scale, "years": years, "firms": firms, "regions": 36,
                                                         **({"build_s": round(time.perf_counter() - t, 1)} if built
                                                            else {})},
                        # Browser figures are sensitive to anything else running on the 2 cores: say what was.
                        "load_average_before": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}
        users_file, names = users_for(warehouse, Path(tmp))
        with sync_playwright() as playwright:
            if cold:
                result["cold_start"] = cold_start(playwright, warehouse, users_file, names["secretariat"])
            if pages_too:
                result["pages"] = pages(playwright, warehouse, users_file, names, views, changes, only, roles)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    if not pages_too:
        return result
    found = {k: v for k, v in result["pages"].items() if not k.startswith("_")}
    worst = max((s["total"]["p95_ms"], f"{name} {where}") for name, cases in found.items()
                for where, s in cases.items())
    moves = [(s["section_move"]["p95_ms"], f"{name} {where}") for name, cases in found.items()
             for where, s in cases.items() if s["section_move"]]
    worst_move = max(moves, default=(0.0, None))
    verdict = {"page_p95_ms_max": worst[0], "slowest": worst[1],
               "section_move_p95_ms_max": worst_move[0], "slowest_section_move": worst_move[1],
               "app_peak_rss_mib": result["pages"]["_app_peak_rss_mib"]}
    met = max(worst[0], worst_move[0]) < TARGETS["page_p95_ms"] and not result["pages"]["_external_requests"]
    if cold:
        verdict["cold_start_s"] = max(result["cold_start"]["login_page_drawn_median_s"],
                                      result["cold_start"]["login_to_first_page_median_s"])
        met = met and verdict["cold_start_s"] < TARGETS["cold_start_s"]
    result["verdict"] = {**verdict, "meets_targets": met, "targets": TARGETS}
    return result


def table(result: dict) -> str:
    """Per page: p95 (server share) per role × view, as a person reads it."""
    cases = list(next(v for k, v in result["pages"].items() if not k.startswith("_")))
    lines = ["quarter change p95 ms (server share) · CPU ms p50 server + browser · section move p95 ms",
             "page         " + "".join(f"{c:>44}" for c in cases)]
    for name in [p for p in PAGES if p in result["pages"]]:
        row = result["pages"][name]
        lines.append(f"{name:<13}" + "".join(
            f"{row[c]['total']['p95_ms']:>11.0f} ({row[c]['server_share']:.0%}) · "
            f"{row[c]['server_cpu_p50_ms']:>5.0f} + {row[c]['browser_cpu_p50_ms']:>5.0f} · "
            f"{row[c]['section_move']['p95_ms'] if row[c]['section_move'] else 0:>5.0f}" for c in cases))
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, choices=sorted(SCALES), default=1)
    parser.add_argument("--views", default=",".join(VIEWS))
    parser.add_argument("--changes", type=int, default=CHANGES)
    parser.add_argument("--no-cold-start", action="store_true")
    parser.add_argument("--cold-start-only", action="store_true")
    parser.add_argument("--pages", default=",".join(PAGES), help="only these pages (a quick comparison)")
    parser.add_argument("--roles", default=",".join(ROLES))
    args = parser.parse_args()
    report = main(args.scale, tuple(args.views.split(",")), args.changes, not args.no_cold_start,
                  not args.cold_start_only, tuple(args.pages.split(",")), tuple(args.roles.split(",")))
    if args.cold_start_only:
        print(json.dumps(report["cold_start"], indent=2))
        raise SystemExit(0)
    if (args.scale, args.pages, args.roles, args.views) == (1, ",".join(PAGES), ",".join(ROLES), ",".join(VIEWS)) \
            and not (args.no_cold_start or args.cold_start_only):
        (OUT / "pages.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print(table(report))
