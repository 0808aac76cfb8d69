"""The shared filters ⇄ URL query parameters. Pure functions: no Streamlit here.

Parameters (agreed in DASHBOARD.md; page-specific ones like `metric`, `by`, `focus_firm` belong to pages):
    period=2025Q3              one quarter          from=2024Q1&to=2025Q3   a range (either end may be omitted)
    type=财产险|人身险           firm type            firm=F001,F002 (or repeated firm=…)   firm ids
    province=440000,…           province codes       region=440300,…         region codes (incl. the 5 cities, 000000)
    lang=en                     English (default zh) present=1               presentation mode

A bad value never raises: it is dropped or replaced by a sane default and explained in a message
(in the chosen language) that the app shows with st.warning. A value echoed in a message is cut to SHOWN_MAX
characters and stripped of control, escape and bidi characters (`shown`); the app escapes the message (`plain`), so
that a link's text is read as it was written, never as markdown. Both are core.untrusted's, the one place for it.
A period may be written in any spelling the ETL accepts (2025-Q3, 2025年第三季度: core.quarters.parse).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from core import quarters, untrusted
from core.reference import FIRM_TYPES
from dashboard.i18n import DEFAULT_LANG, LANGS, t
from query import Filters

SHOWN_MAX = untrusted.SHOWN_MAX  # characters of a rejected value echoed back in a message
# The parameter names this module owns; app.py rewrites exactly these in the URL on every run.
SHARED_PARAMS = ("period", "from", "to", "type", "firm", "province", "region", "lang", "present")

ParamValue = str | Sequence[str]


@dataclass(frozen=True)
class Choices:
    """What the warehouse holds: the values a parameter may take."""

    periods: tuple[str, ...] = ()          # ascending
    firm_ids: tuple[str, ...] = ()
    firm_types: tuple[tuple[str, str], ...] = ()   # (firm_id, firm type) of every firm
    region_codes: tuple[str, ...] = ()
    province_codes: tuple[str, ...] = ()

    @property
    def latest(self) -> str | None:
        return self.periods[-1] if self.periods else None


@dataclass(frozen=True)
class View:
    """Everything the shared URL parameters say: the query filters, the language and presentation mode."""

    filters: Filters = field(default_factory=Filters)
    lang: str = DEFAULT_LANG
    present: bool = False

    @property
    def is_range(self) -> bool:
        return self.filters.period is None and (
            self.filters.period_from is not None or self.filters.period_to is not None)


def shown(value: object) -> str:
    """A value from outside as a message echoes it: control, escape and bidi characters dropped, at most SHOWN_MAX
    characters (core.untrusted.shown)."""
    return untrusted.shown(value, SHOWN_MAX)


def plain(text: object) -> str:
    """A message for st.warning / st.info / st.markdown / headings / expander labels (which read markdown) shown
    literally: cleaned and every markdown or HTML character escaped (core.untrusted.markdown)."""
    return untrusted.markdown(text)


def _values(params: Mapping[str, ParamValue], name: str) -> list[str]:
    """All values of a parameter, repeated or comma separated, stripped, empties dropped."""
    raw = params.get(name)
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def _single(params: Mapping[str, ParamValue], name: str) -> str | None:
    values = _values(params, name)
    return values[-1] if values else None


def _period_value(value: str) -> str:
    # 2025q3, 2025-Q3 and 2025年第三季度 are what people type when they edit a link by hand: the ETL's spellings.
    return quarters.parse(value) or value


def _known(values: Iterable[str], allowed: Sequence[str], name: str, lang: str,
           messages: list[str]) -> tuple[str, ...]:
    kept: list[str] = []
    for value in values:
        if value in allowed:
            if value not in kept:
                kept.append(value)
        else:
            messages.append(t("bad_param_dropped", lang).format(name=name, value=shown(value)))
    return tuple(kept)


def _parse_periods(params: Mapping[str, ParamValue], choices: Choices, lang: str,
                   messages: list[str]) -> dict[str, str | None]:
    periods, latest = choices.periods, choices.latest
    if not periods:  # empty warehouse: nothing to choose from, nothing to complain about
        return {"period": None, "period_from": None, "period_to": None}
    single, start, end = (_single(params, n) for n in ("period", "from", "to"))
    if single is not None and (start is not None or end is not None):
        messages.append(t("bad_param_both", lang))
    if single is not None or (start is None and end is None):
        value = _period_value(single) if single is not None else latest
        if value not in periods:
            messages.append(t("bad_param", lang).format(name="period", value=shown(single), default=latest))
            value = latest
        return {"period": value, "period_from": None, "period_to": None}
    bounds = {}
    for name, raw, default in (("from", start, periods[0]), ("to", end, latest)):
        value = _period_value(raw) if raw is not None else default
        if value not in periods:
            messages.append(t("bad_param", lang).format(name=name, value=shown(raw), default=default))
            value = default
        bounds[name] = value
    if periods.index(bounds["from"]) > periods.index(bounds["to"]):
        messages.append(t("bad_param_range", lang).format(value=bounds["from"], default=bounds["to"]))
        bounds["from"], bounds["to"] = bounds["to"], bounds["from"]
    return {"period": None, "period_from": bounds["from"], "period_to": bounds["to"]}


def parse(params: Mapping[str, ParamValue], choices: Choices) -> tuple[View, list[str]]:
    """URL query parameters → (View, messages about every value that was dropped or replaced)."""
    messages: list[str] = []
    lang_raw = _single(params, "lang")
    lang = (lang_raw or DEFAULT_LANG).lower()
    if lang not in LANGS:
        lang = DEFAULT_LANG
        messages.append(t("bad_param", lang).format(name="lang", value=shown(lang_raw), default=DEFAULT_LANG))

    present_raw = _single(params, "present")
    present = present_raw in ("1", "true", "True")
    if present_raw is not None and present_raw not in ("0", "1", "true", "false", "True", "False"):
        messages.append(t("bad_param", lang).format(name="present", value=shown(present_raw), default="0"))

    firm_type = _single(params, "type")
    if firm_type is not None and firm_type not in FIRM_TYPES:
        messages.append(t("bad_param", lang).format(name="type", value=shown(firm_type),
                                                   default=t("all_types", lang)))
        firm_type = None

    firms = _known(_values(params, "firm"), choices.firm_ids, "firm", lang, messages)
    if firm_type is not None and choices.firm_types:
        types = dict(choices.firm_types)
        for firm in [f for f in firms if types.get(f) not in (None, firm_type)]:
            messages.append(t("bad_param_firm_type", lang).format(
                value=shown(firm), kind=t(types[firm], lang), chosen=t(firm_type, lang)))
        firms = tuple(f for f in firms if types.get(f) in (None, firm_type))
    filters = Filters(
        **_parse_periods(params, choices, lang, messages),
        firm_type=firm_type,
        firms=firms,
        provinces=_known(_values(params, "province"), choices.province_codes, "province", lang, messages),
        regions=_known(_values(params, "region"), choices.region_codes, "region", lang, messages),
    )
    return View(filters=filters, lang=lang, present=present), messages


def to_params(view: View) -> dict[str, str]:
    """View → the URL query parameters that reproduce it (period always explicit, defaults left out)."""
    f = view.filters
    out: dict[str, str] = {}
    if f.period is not None:
        out["period"] = f.period
    else:
        if f.period_from is not None:
            out["from"] = f.period_from
        if f.period_to is not None:
            out["to"] = f.period_to
    if f.firm_type:
        out["type"] = f.firm_type
    for name, values in (("firm", f.firms), ("province", f.provinces), ("region", f.regions)):
        if values:
            out[name] = ",".join(values)
    if view.lang != DEFAULT_LANG:
        out["lang"] = view.lang
    if view.present:
        out["present"] = "1"
    return out


def query_string(view: View, extra: Mapping[str, str] | None = None) -> str:
    """`?period=…&…` for a link that reopens this view; `extra` adds page-specific parameters."""
    params = {**to_params(view), **(extra or {})}
    return "?" + urlencode(params) if params else ""
