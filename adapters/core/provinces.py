"""The consortium's founding members and their codes (GB/T 2260 province prefixes)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Province(StrEnum):
    """A member province, by its short name as used in commands and URLs."""

    SH = "sh"
    JS = "js"
    ZJ = "zj"
    AH = "ah"

    @property
    def code(self) -> int:
        """GB/T 2260 prefix, used on chain as the member code (31..34)."""
        return _INFO[self].code

    @property
    def name_zh(self) -> str:
        return _INFO[self].name_zh

    @property
    def name_en(self) -> str:
        return _INFO[self].name_en

    @classmethod
    def from_code(cls, code: int) -> Province:
        for province, info in _INFO.items():
            if info.code == code:
                return province
        raise ValueError(f"no founding member has code {code}")

    @classmethod
    def parse(cls, value: str | int) -> Province:
        """Accept ``zj``, ``ZJ`` or ``33``."""
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return cls.from_code(int(value))
        try:
            return cls(value.lower())
        except ValueError:
            raise ValueError(f"unknown province {value!r}: expected one of sh, js, zj, ah") from None


@dataclass(frozen=True)
class _Info:
    code: int
    name_zh: str
    name_en: str


_INFO = {
    Province.SH: _Info(31, "上海市", "Shanghai"),
    Province.JS: _Info(32, "江苏省", "Jiangsu"),
    Province.ZJ: _Info(33, "浙江省", "Zhejiang"),
    Province.AH: _Info(34, "安徽省", "Anhui"),
}

PROVINCES: tuple[Province, ...] = (Province.SH, Province.JS, Province.ZJ, Province.AH)
