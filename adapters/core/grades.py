"""Evaluation schemes of the four platforms and the common YRD scale.

Each province grades in its own scale; grades are 1-based on chain, best first. The mapping of
each scheme onto the YRD scale is what the consortium adopts by quorum, per recognition domain,
in the Evaluations contract; a fresh deployment proposes every scheme's ``yrd_indexes`` (see
``yrdx.context.adopt_default_agreements``).
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.core.provinces import Province

#: The common YRD scale, best first: 守信 A, 基本守信 B, 关注 C, 失信 D.
YRD_SCALE: tuple[str, ...] = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Scheme:
    scheme_id: int
    province: Province
    name: str
    grades: tuple[str, ...]  # best first
    yrd: tuple[str, ...]  # YRD grade of each local grade, same order

    def index(self, grade: str) -> int:
        """1-based on-chain grade of label ``grade``."""
        try:
            return self.grades.index(grade) + 1
        except ValueError:
            raise ValueError(f"grade {grade!r} is not in scheme {self.scheme_id} ({'/'.join(self.grades)})") from None

    def label(self, index: int) -> str:
        return self.grades[index - 1]

    def yrd_indexes(self) -> list[int]:
        return [YRD_SCALE.index(g) + 1 for g in self.yrd]


SCHEMES: dict[int, Scheme] = {
    s.scheme_id: s
    for s in (
        Scheme(3101, Province.SH, "上海市公共信用综合评价", ("A", "B", "C", "D"), ("A", "B", "C", "D")),
        Scheme(3201, Province.JS, "江苏省信用分级（五色）", ("绿", "蓝", "黄", "红", "黑"), ("A", "B", "C", "D", "D")),
        Scheme(3301, Province.ZJ, "浙江省公共信用评价", ("优", "良", "中", "差"), ("A", "B", "C", "D")),
        Scheme(3401, Province.AH, "安徽省公共信用综合评价", ("A", "B", "C", "D", "E"), ("A", "B", "B", "C", "D")),
    )
}

SCHEME_OF_PROVINCE: dict[Province, Scheme] = {s.province: s for s in SCHEMES.values()}
