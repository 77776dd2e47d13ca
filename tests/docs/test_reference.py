"""Every public class of the provider has an entry in the manual's API reference.

Autodoc documents a class when its module is named in an ``automodule`` directive of ``docs/api/`` and
the class has a docstring; a class without either would be missing from the reference without any
build warning, so this test names it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import signs_provider
from tests.conftest import REPO


def _public_modules() -> list[str]:
    """Public modules that define a public class or function of their own (not only re-exports)."""
    names = []
    for info in pkgutil.walk_packages(signs_provider.__path__, "signs_provider."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        module = importlib.import_module(info.name)
        if any(
            not attr.startswith("_")
            and (inspect.isclass(value) or inspect.isfunction(value))
            and value.__module__ == info.name
            for attr, value in vars(module).items()
        ):
            names.append(info.name)
    return names


def _documented_modules() -> set[str]:
    text = "\n".join(p.read_text() for p in (REPO / "docs" / "api").glob("*.md"))
    return set(re.findall(r"```\{automodule\} (\S+)", text))


def test_every_public_module_is_in_the_reference() -> None:
    # The plugin is Airflow's, not the user's: it only mends the UI's Test button on old versions.
    missing = sorted(set(_public_modules()) - _documented_modules() - {"signs_provider.plugins"})
    assert missing == []


def test_every_public_class_has_a_docstring() -> None:
    undocumented = []
    for name in _public_modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if attr.startswith("_") or not inspect.isclass(value) or value.__module__ != name:
                continue
            if not (value.__doc__ or "").strip():
                undocumented.append(f"{name}.{attr}")
    assert undocumented == []
