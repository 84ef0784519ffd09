"""The reference SPOC CMS: a stand-in for a vendor's case management system, with named defects.

It reaches the channel simulators only over HTTP and serves the SUT test interface
(docs/sut-interface.md); its automated operator policy is documented in docs/reference-cms.md.
Run it with `spoc-harness cms`; list its defects with `spoc-harness defects`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulators.reference_cms.app import CmsOptions, ReferenceCms, run_cms, run_installations
    from simulators.reference_cms.defects import DEFECTS, ActiveDefects, Defect

__all__ = ["DEFECTS", "ActiveDefects", "CmsOptions", "Defect", "ReferenceCms", "run_cms", "run_installations"]

_HOMES = {"CmsOptions": "app", "ReferenceCms": "app", "run_cms": "app", "run_installations": "app",
          "DEFECTS": "defects",
          "ActiveDefects": "defects", "Defect": "defects"}


def __getattr__(name: str) -> Any:
    # Lazy, so that `spoc-harness defects` does not load the web service.
    if name in _HOMES:
        return getattr(importlib.import_module(f"simulators.reference_cms.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'simulators.reference_cms' has no attribute {name!r}")
