"""Small bundled exports of each province, in its dialect, for the main job and the tests.

``<province>/entries.<ext>`` holds 60 valid list entries and ``<province>/evaluations.<ext>``
20 valid evaluation results in the four recognition domains, all valid until 2029-2031 or
open-ended; a few natural persons appear in several provinces. Regenerate with
``python scripts/generate_exports.py --samples adapters/samples``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from adapters.core.provinces import Province


def sample_path(province: Province, kind: Literal["entries", "evaluations"]) -> Path:
    """Path of the bundled sample of ``province`` (``entries`` or ``evaluations``)."""
    from adapters.dialects import DIALECTS

    extension = DIALECTS[province].extension
    return Path(str(resources.files(__name__).joinpath(province.value, f"{kind}{extension}")))
