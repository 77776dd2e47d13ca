"""Sphinx configuration of the user's manual (``make docs``).

Sphinx rather than MkDocs: Airflow and its official providers publish their manuals with it, autodoc
reads the docstrings this package already writes in reStructuredText, and ``-W`` turns a broken
include, a broken internal link or a docstring warning into a failed build.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "provider"))

from signs_provider import __version__  # noqa: E402

project = "airflow-provider-signs"
author = "airflow-provider-signs developers"
copyright = "2026, airflow-provider-signs developers"
release = version = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "snippets/README.md"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
# Airflow is imported for real (the classes are documented as Airflow sees them); nothing is mocked.

html_theme = "furo"
html_title = f"airflow-provider-signs {release}"
