"""Entry point: page config, language, the shared filters (bound to the URL), presentation mode, navigation.

Run with `xiaobao serve` (or `streamlit run dashboard/app.py`). The filters live in sidebar widgets whose
values are seeded from the URL on a session's first run and written back to the URL on every run, so a
copied link opens the same view on any page. Pages read them through `dashboard.context.current()`.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the repository root.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from auth import web
from auth.model import User
from core.settings import warehouse_dir
from dashboard import context, data, prefetch, preload, present, session, theme, timing
from dashboard.filters import SHARED_PARAMS, Choices, View, parse, plain, shown, to_params
from dashboard.i18n import LANG_STATE_KEY, pick, t
from query import Filters

log = logging.getLogger("xiaobao.dashboard")
PAGES_DIR = Path(__file__).parent / "views"
# (section key, [(file, url_path, title key)]) — the pages agreed in DASHBOARD.md. No page icons: Streamlit
# shows the page's icon as the favicon and fetches material icons for it from a CDN (offline here).
SECTIONS = (
    ("section_analysis", (("overview.py", "overview", "page_overview"),
                          ("complaints.py", "complaints", "page_complaints"),
                          ("mediation.py", "mediation", "page_mediation"),
                          ("outreach.py", "outreach", "page_outreach"),
                          ("map.py", "map", "page_map"),
                          ("deck.py", "deck", "page_deck"))),
    ("section_benchmark", (("peers.py", "peers", "page_peers"),
                           ("explorer.py", "explorer", "page_explorer"))),
    ("section_submissions", (("submissions.py", "submissions", "page_submissions"),)),
)
# Pages only some roles see: (file, url_path, zh title, en title, roles).
ADMIN_PAGES = (("upload.py", "upload", "数据报送", "Submit data", ("member", "secretariat")),
               ("audit.py", "audit", "审计日志", "Audit log", ("secretariat",)))
# Role pages shown within a section of SECTIONS (the others under 管理 Administration).
ROLE_PAGE_SECTION = {"upload.py": "section_submissions"}
ROLE_ZH = {"secretariat": "秘书处", "analyst": "分析人员", "member": "会员公司"}
ROLE_EN = {"secretariat": "Secretariat", "analyst": "Analyst", "member": "Member firm"}
DEFAULT_PAGE = "overview"
# Widget keys (session state); the URL parameter names are in dashboard.filters.
W = {name: f"_w_{name}" for name in ("lang", "present", "span", "period", "from", "to", "type", "firms",
                                      "provinces", "regions")}
SEEDED = "_xb_seeded"
MESSAGES = "_xb_messages"

# Presentation mode: no sidebar (the page menu moves to the top bar), larger type, and every ui.slide()
# block at least one projector screen tall, so paging down shows one headline at a time.
PRESENT_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none !important; }
html { font-size: 24px; }
[data-testid="stMetricValue"] { font-size: clamp(2.4rem, 4.5vw, 4.2rem) !important; }
[data-testid="stMetricLabel"] p, [data-testid="stMetricDeltaDescription"] { font-size: 1.3rem !important; }
[data-testid="stMain"] h1 { font-size: 3.4rem !important; }
[data-testid="stMain"] h3 { font-size: 1.8rem !important; }
[class*="st-key-slide_"] { min-height: 92vh; }
/* a 720-line screen: the tiles' labels and changes one step smaller (still above the page's), so two rows of tiles
   with English labels fit unscaled */
@media (max-height: 800px) {
  [data-testid="stMetricValue"] { font-size: 2rem !important; }
  [data-testid="stMetricLabel"] p, [data-testid="stMetricDeltaDescription"] { font-size: 1rem !important; }
}
/* the slide's blocks keep their height in a slide of fixed height (the script sizes the charts, never the flexbox) */
[class*="st-key-slide_"] .stElementContainer, [class*="st-key-slide_"] > * { flex-shrink: 0 !important; }
/* and a column holding a chart of height "stretch" is as tall as its content, not as its chart */
[class*="st-key-slide_"] [data-testid="stColumn"] > [data-testid="stVerticalBlock"],
[class*="st-key-slide_"] [data-testid="stHorizontalBlock"] { height: auto !important; flex: 0 0 auto !important; }
/* the definitions stay one click away on a slide, in a smaller button */
[class*="st-key-slide_"] [data-testid="stPopover"] button {
  font-size: 0.75rem; min-height: 0; padding: 0.15rem 0.6rem; }
/* the screen's width for the slides: narrower side margins than the page's */
[data-testid="stMainBlockContainer"] { padding-left: 2.5rem !important; padding-right: 2.5rem !important;
  max-width: none !important; }
</style>"""


def choices_of(wh) -> Choices:
    regions = data.regions(wh)
    provinces = regions.filter(regions["kind"] == "province")["region_code"].to_list() \
        if "kind" in regions.columns else []
    firms = data.firms(wh)
    return Choices(periods=data.periods(wh), firm_ids=tuple(firms["firm_id"].to_list()),
                   firm_types=tuple(zip(firms["firm_id"].to_list(), firms["firm_type"].to_list(), strict=True)),
                   region_codes=tuple(regions["region_code"].to_list()), province_codes=tuple(provinces))


def seed_widgets(view: View, choices: Choices) -> None:
    """Put a View into the sidebar widgets' state (first run of a session, or a page's request)."""
    f, ss = view.filters, st.session_state
    ss[W["lang"]], ss[W["present"]] = view.lang, view.present
    ss[W["span"]] = "range" if view.is_range else "single"
    ss[W["period"]] = f.period or f.period_to or choices.latest
    if view.is_range and choices.periods:
        ss[W["from"]], ss[W["to"]] = f.period_from or choices.periods[0], f.period_to or choices.latest
    else:   # sanitize_state derives the range from the quarter
        ss.pop(W["from"], None)
        ss.pop(W["to"], None)
    ss[W["type"]] = f.firm_type or ""
    ss[W["firms"]], ss[W["provinces"]], ss[W["regions"]] = list(f.firms), list(f.provinces), list(f.regions)


def widget_view(choices: Choices) -> View:
    ss = st.session_state
    single = ss.get(W["span"]) != "range" or not choices.periods
    start, end = (None, None) if single else (ss.get(W["from"]), ss.get(W["to"]))
    filters = Filters(period=ss.get(W["period"]) if single else None,
                      period_from=start, period_to=end, firm_type=ss.get(W["type"]) or None,
                      firms=tuple(ss.get(W["firms"], ())), provinces=tuple(ss.get(W["provinces"], ())),
                      regions=tuple(ss.get(W["regions"], ())))
    return View(filters=filters, lang=ss.get(W["lang"], "zh"), present=bool(ss.get(W["present"])))


def apply_pending(choices: Choices) -> None:
    """Filter changes a page asked for (context.request_filters), applied before the widgets exist."""
    pending = st.session_state.pop(context.PENDING_KEY, None)
    if pending:
        current = widget_view(choices)
        seed_widgets(dataclasses.replace(current, filters=dataclasses.replace(current.filters, **pending)),
                     choices)


def sanitize_state(choices: Choices, firm_types: dict[str, str], names: dict[str, str] | None = None) -> list[str]:
    """Widget values no longer offered (new snapshot, other firm type) fall back instead of failing. Returns a
    message for each chosen firm taken out because it is not of the chosen firm type (never silently)."""
    ss, periods = st.session_state, choices.periods
    # Only the quarter or the range widgets are on screen, so the others' state is gone after a switch:
    # the quarter becomes the range's end, the range the TREND_QUARTERS quarters up to the quarter.
    start, end = ss.get(W["from"]), ss.get(W["to"])
    has_range = start in periods and end in periods
    if ss.get(W["period"]) not in periods:
        ss[W["period"]] = end if has_range else choices.latest
    if periods and not has_range:
        last = periods.index(ss[W["period"]])
        ss[W["from"]], ss[W["to"]] = periods[max(0, last - context.TREND_QUARTERS + 1)], ss[W["period"]]
    elif has_range and periods.index(start) > periods.index(end):
        ss[W["from"]], ss[W["to"]] = end, start
    chosen_type = ss.get(W["type"]) or None
    allowed = {
        W["firms"]: {f for f, kind in firm_types.items() if chosen_type is None or kind == chosen_type},
        W["provinces"]: set(choices.province_codes),
        W["regions"]: set(choices.region_codes),
    }
    lang, messages = ss.get(W["lang"], "zh"), []
    for firm in ss.get(W["firms"], []):
        if chosen_type is not None and firm_types.get(firm) not in (None, chosen_type):
            messages.append(t("firm_type_dropped", lang).format(value=shown((names or {}).get(firm) or firm),
                                                                kind=t(firm_types[firm], lang),
                                                                chosen=t(chosen_type, lang)))
    for key, options in allowed.items():
        kept = [v for v in ss.get(key, []) if v in options]
        if kept != ss.get(key):   # written only when it changes: a write overrides the browser's value
            ss[key] = kept
    return messages


def sidebar(choices: Choices, wh, regions) -> None:
    """The shared filters. Each widget's default is its current value: when the browser re-mounts the
    sidebar on a page switch it may report the default back, which must then be the value it had."""
    ss, sb = st.session_state, st.sidebar
    lang = ss[W["lang"]]

    def pick_one(label: str, options, key: str, column=sb, **kwargs) -> None:
        options = list(options)
        column.selectbox(label, options, key=key, index=options.index(ss[key]), **kwargs)

    sb.radio(t("language", lang), ("zh", "en"), key=W["lang"], horizontal=True, index=("zh", "en").index(lang),
             format_func=lambda v: {"zh": "中文", "en": "English"}[v])
    sb.toggle(t("present", lang), key=W["present"], value=ss[W["present"]], help=t("present_help", lang))
    sb.subheader(t("filters", lang))
    if choices.periods:
        sb.segmented_control(t("span", lang), ("single", "range"), key=W["span"], required=True,
                             default=ss[W["span"]], format_func=lambda v: t(f"span_{v}", lang))
        if ss[W["span"]] == "range":
            # Two selectboxes, not a range select_slider: a range slider seeded through session state
            # falls back to a single value on the next rerun (Streamlit 1.67).
            start, end = sb.columns(2)
            pick_one(t("period_from", lang), choices.periods, W["from"], start)
            pick_one(t("period_to", lang), choices.periods, W["to"], end)
        else:
            pick_one(t("period", lang), reversed(choices.periods), W["period"])
    pick_one(t("firm_type", lang), ("", "财产险", "人身险"), W["type"],
             format_func=lambda v: t(v or "all_types", lang))
    chosen_type = ss[W["type"]] or None
    firms, offered = data.firms(wh), data.firms(wh, Filters(firm_type=chosen_type))
    names = dict(zip(firms["firm_id"].to_list(), firms["short_name"].to_list(), strict=True))
    sb.multiselect(t("firms", lang), offered["firm_id"].to_list(), key=W["firms"], default=ss[W["firms"]],
                   format_func=lambda f: names.get(f) or f, placeholder=t("all_firms", lang))
    region_names = dict(zip(regions["region_code"].to_list(),
                            regions["region_name" if lang == "zh" else "name_en"].to_list(), strict=True))
    # A province filter takes the whole province (its city rolled in): the plain name; a region filter takes
    # the rows as reported, so 广东省（不含深圳） there.
    province_names = dict(zip(regions["region_code"].to_list(),
                              regions["plain_name" if lang == "zh" else "plain_name_en"].to_list(), strict=True))
    sb.multiselect(t("provinces", lang), list(choices.province_codes), key=W["provinces"],
                   default=ss[W["provinces"]], format_func=lambda c: province_names.get(c) or c,
                   placeholder=t("all_regions", lang))
    with sb.expander(t("regions", lang)):
        st.multiselect(t("regions", lang), list(choices.region_codes), key=W["regions"],
                       default=ss[W["regions"]], format_func=lambda c: region_names.get(c) or c,
                       placeholder=t("all_regions", lang), label_visibility="collapsed")
    sb.button(t("reset_filters", lang), on_click=seed_widgets, args=(View(lang=lang), choices))


def sync_url(view: View) -> None:
    """Write the shared parameters into the URL (only those that changed; page parameters untouched)."""
    wanted = to_params(view)
    for name in SHARED_PARAMS:
        have = st.query_params.get_all(name)
        if name in wanted and have != [wanted[name]]:
            st.query_params[name] = wanted[name]
        elif name not in wanted and have:
            del st.query_params[name]


def navigation(lang: str, present: bool, user: User | None = None):
    sections = {}
    for section, pages in SECTIONS:
        found = [st.Page(f"views/{file}", title=t(title, lang), url_path=url) if url != DEFAULT_PAGE else
                 # The default page always lives at "/" (its own url_path answers "page not found"), so it is
                 # registered as "home" and /overview is a hidden alias of the same file: links keep working.
                 st.Page(f"views/{file}", title=t(title, lang), url_path="home", default=True)
                 for file, url, title in pages if (PAGES_DIR / file).exists()]
        if found:
            sections[t(section, lang)] = found
    if (PAGES_DIR / "overview.py").exists():
        sections[t(SECTIONS[0][0], lang)].append(
            st.Page("views/overview.py", title=t("page_overview", lang), url_path=DEFAULT_PAGE, visibility="hidden"))
    admin = []
    for file, url, zh, en, roles in ADMIN_PAGES:
        if user is None or user.role not in roles or not (PAGES_DIR / file).exists():
            continue
        page = st.Page(f"views/{file}", title=zh if lang == "zh" else en, url_path=url)
        section = ROLE_PAGE_SECTION.get(file)
        (sections.setdefault(t(section, lang), []) if section else admin).append(page)
    if admin:
        sections[pick({"zh": "管理", "en": "Administration"}, lang)] = admin
    return st.navigation(sections, position="top" if present else "sidebar")


def known_paths(user: User | None = None) -> set[str]:
    """Every URL path a page answers on for this user ("" and "home" are the default page)."""
    return {"", "home", *(url for _, pages in SECTIONS for _, url, _ in pages),
            *(url for _, url, _, _, roles in ADMIN_PAGES if user is not None and user.role in roles)}


def requested_page() -> str | None:
    """The page path the browser asked for by name (a typed or pasted URL), if any. Streamlit runs the default
    page for a path it does not know; this is how the app learns which path that was."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    manager = getattr(get_script_run_ctx(), "pages_manager", None)
    if manager is None or getattr(manager, "intended_page_script_hash", None):
        return None  # a page chosen in the menu (by its hash) always exists
    return getattr(manager, "intended_page_name", None)


def unknown_page(requested: str | None, known: set[str]) -> str | None:
    """The requested path when no page answers it (so the app says so), else None."""
    if requested is None:
        return None
    path = requested.strip("/")
    return None if path in known else path


def current_path() -> str:
    """This page's path and query, to come back to after logging in."""
    from urllib.parse import urlsplit

    parts = urlsplit(st.context.url or "/")   # None in AppTest
    return parts.path + (f"?{parts.query}" if parts.query else "")


def link_html(href: str, label: str) -> str:
    """A link that opens in this tab (Streamlit's own links and link buttons open a new one)."""
    import html

    return (f'<a href="{html.escape(href)}" target="_self" style="font-size:1.1rem">{html.escape(label)}</a>')


def login_gate(lang: str) -> User:
    """The logged-in user; without one, only a link to the login page, and the run stops here — before the
    warehouse, the filters or any page is touched."""
    user = session.user()
    if user is not None:
        return user
    # The page menu of an earlier run stays on screen when this run draws none: hide the sidebar altogether.
    st.html("<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'] "
            "{ display: none !important; }</style>")
    st.title(pick({"zh": "消保分析", "en": "Consumer-protection analytics"}, lang))
    st.info(pick({"zh": "请先登录。登录后即可查看分析看板。", "en": "Please log in to see the dashboard."}, lang),
            icon=theme.ICON_INFO)
    st.html(link_html(web.login_url(current_path(), lang), pick({"zh": "前往登录页", "en": "Go to the login page"},
                                                                   lang)))
    st.stop()
    raise AssertionError("unreachable")   # st.stop raises


def account_box(user: User, lang: str) -> None:
    """Who is logged in, and the logout (a route: it ends the server session and clears the cookie)."""
    roles = ROLE_ZH if lang == "zh" else ROLE_EN
    st.sidebar.caption(pick({"zh": "已登录：", "en": "Logged in: "}, lang)
                       + shown(user.name or user.username) + f"（{roles.get(user.role, user.role)}）")
    st.sidebar.html(link_html(web.LOGOUT_PATH + ("?lang=en" if lang == "en" else ""),
                              pick({"zh": "退出登录", "en": "Log out"}, lang)))


def exit_present() -> None:
    st.session_state[W["present"]] = False


def main(run: dict[str, str] | None = None) -> None:
    """One script run; `run` gets the user and the page (dashboard.timing)."""
    run = {} if run is None else run
    # No page_icon: a material icon favicon is fetched from a CDN, and the meeting room is offline.
    st.set_page_config(page_title="消保分析", layout="wide")
    theme.register()
    ss = st.session_state
    first_lang = ss.get(W["lang"]) or ("en" if st.query_params.get("lang") == "en" else "zh")
    user = login_gate(first_lang)
    run["user"] = user.role
    preload.run_chart_code()
    try:
        wh = data.warehouse(warehouse_dir())
        choices = choices_of(wh)
        firms, regions = data.firms(wh), data.regions(wh)
    except Exception:
        log.exception("cannot open the warehouse")
        st.error(t("warehouse_error", ss.get(LANG_STATE_KEY)), icon=theme.ICON_ERROR)
        st.stop()
    if SEEDED not in ss:
        view, ss[MESSAGES] = parse({k: st.query_params.get_all(k) for k in st.query_params}, choices)
        seed_widgets(view, choices)
        ss[SEEDED] = True
    else:
        ss[MESSAGES] = []
    apply_pending(choices)
    ss[MESSAGES] = ss[MESSAGES] + sanitize_state(
        choices, dict(zip(firms["firm_id"].to_list(), firms["firm_type"].to_list(), strict=True)),
        dict(zip(firms["firm_id"].to_list(), firms["short_name"].to_list(), strict=True)))
    ss[LANG_STATE_KEY] = lang = ss[W["lang"]]
    account_box(user, lang)
    sidebar(choices, wh, regions)
    view = widget_view(choices)
    sync_url(view)
    pg = navigation(lang, view.present, user)
    run["page"] = pg.url_path + (" present" if view.present else "")
    st.html(theme.TILE_CSS)
    if view.present:
        st.html(PRESENT_CSS)
        st.button(t("present_exit", lang), on_click=exit_present, type="tertiary", icon=":material/close:")
        present.install()   # one slide per screen, paged by keys and clickers (dashboard/present.py)
        if ss[W["span"]] != "range":
            present.quarter_bar(choices.periods, W["period"], lang)
    missing = unknown_page(requested_page(), known_paths(user))
    if missing is not None:
        st.warning(plain(t("page_not_found", lang).format(value=shown(missing))), icon=theme.ICON_WARNING)
    for message in ss[MESSAGES]:
        st.warning(plain(message), icon=theme.ICON_WARNING)   # values from the link, shown as written
    f = view.filters
    context.publish(context.PageContext(wh=wh, filters=f, lang=lang, period=f.period or f.period_to,
                                        present=view.present, periods=choices.periods))
    try:
        with prefetch.recording() as calls:
            pg.run()
    except Exception:
        log.exception("page %s failed", pg.url_path)
        st.error(t("page_error", lang), icon=theme.ICON_ERROR)
    else:   # the same questions for the quarters either side, while the browser draws this one
        prefetch.read_ahead(calls, f, choices.periods)


if __name__ == "__main__":
    with timing.timed() as this_run:
        main(this_run)
