"""Text cleaning shared by every matcher: Traditional → Simplified, full-width → half-width, no spaces."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC

_T2S = OpenCC("t2s")
_SPACES = re.compile(r"[\s\u3000\u00a0]+")


@lru_cache(maxsize=65536)
def clean(text: str) -> str:
    """投訴總量（件） → 投诉总量(件); `Guangdong ` → guangdong. Used for headers, sheet, region and firm names."""
    text = unicodedata.normalize("NFKC", str(text))  # full-width digits, letters and brackets → half-width
    text = _T2S.convert(text)
    return _SPACES.sub("", text).lower()


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    return _T2S.convert(text)
