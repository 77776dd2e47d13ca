"""The two distributions of this repository: the provider and the emulator ship apart.

The provider's wheel holds no emulator code and the emulator's wheel no provider code, and neither
package imports the other (the emulator stands in for the real services; if the provider could
reach into it, a test could pass on something the real API never does).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


def _imported_roots(package_dir: Path) -> set[str]:
    roots: set[str] = set()
    for path in package_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots.add(node.module.split(".")[0])
    return roots


def test_provider_imports_nothing_of_the_emulator() -> None:
    assert "signs_emulator" not in _imported_roots(REPO / "provider" / "signs_provider")


def test_emulator_imports_nothing_of_the_provider() -> None:
    roots = _imported_roots(REPO / "emulator" / "signs_emulator")
    assert "signs_provider" not in roots
    assert "airflow" not in roots


def _build_wheel(project: Path, out: Path) -> Path:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (make install brings it)")
    subprocess.run(
        [uv, "build", "--wheel", "-q", "-o", str(out), str(project)], check=True, capture_output=True
    )
    (wheel,) = out.glob("*.whl")
    return wheel


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two projects copied out of the work tree, so that building leaves nothing behind in it."""
    root = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, root / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    shutil.copytree(REPO / "provider", root / "provider", ignore=ignore)
    shutil.copytree(REPO / "emulator", root / "emulator", ignore=ignore)
    return root


def _top_packages(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return {
            name.split("/")[0] for name in archive.namelist() if not name.split("/")[0].endswith(".dist-info")
        }


def test_provider_wheel_holds_no_emulator_code(source_copy: Path, tmp_path: Path) -> None:
    wheel = _build_wheel(source_copy, tmp_path)
    assert _top_packages(wheel) == {"signs_provider"}
    with zipfile.ZipFile(wheel) as archive:
        entry_points = archive.read(
            next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
        ).decode()
    assert "pytest11" not in entry_points and "signs-emulator" not in entry_points


def test_emulator_wheel_holds_no_provider_code(source_copy: Path, tmp_path: Path) -> None:
    wheel = _build_wheel(source_copy / "emulator", tmp_path)
    assert _top_packages(wheel) == {"signs_emulator"}
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "pytest11" in entry_points and "signs-emulator" in entry_points
    # The schema, the page and the sample files travel with the code.
    assert any(n.endswith("schema.graphql") for n in names) and any(n.endswith("page.html") for n in names)
