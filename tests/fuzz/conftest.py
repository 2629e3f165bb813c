"""Hypothesis profiles for the fuzz suite.

``ci`` (the default, used by ``make unit`` and ``make test``): few examples, derandomized, so
the suite is short and repeatable. ``fuzz`` (``make fuzz``): many random examples, to find new
failures; a failure found there becomes a regression test next to the property it broke.
Select with ``--hypothesis-profile`` or ``KUBESMITH_FUZZ_PROFILE``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,  # timing is not a property: the machine may be busy
    "database": None,  # no .hypothesis folder in the work tree
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("ci", max_examples=25, derandomize=True, **_COMMON)
_EXAMPLES = int(os.environ.get("KUBESMITH_FUZZ_EXAMPLES", "2000"))
settings.register_profile("fuzz", max_examples=_EXAMPLES, **_COMMON)
settings.load_profile(os.environ.get("KUBESMITH_FUZZ_PROFILE", "ci"))
