"""The four province dialects: ``DIALECTS[Province.ZJ].read_entries(path)`` and so on.

Each dialect module's docstring is its specification; ``base`` holds the reader contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from adapters.core.provinces import Province
from adapters.dialects.ah import AnhuiDialect
from adapters.dialects.base import Dialect, ExportKind, Parsed, Refusal, Source
from adapters.dialects.js import JiangsuDialect
from adapters.dialects.sh import ShanghaiDialect
from adapters.dialects.zj import ZhejiangDialect

#: Reader/writer of each province's dialect; immutable.
DIALECTS: Mapping[Province, Dialect] = MappingProxyType(
    {
        Province.SH: ShanghaiDialect(),
        Province.JS: JiangsuDialect(),
        Province.ZJ: ZhejiangDialect(),
        Province.AH: AnhuiDialect(),
    }
)

__all__ = [
    "DIALECTS",
    "AnhuiDialect",
    "Dialect",
    "ExportKind",
    "JiangsuDialect",
    "Parsed",
    "Refusal",
    "ShanghaiDialect",
    "Source",
    "ZhejiangDialect",
]
