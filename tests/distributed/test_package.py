"""What a user installs and what a packager gets: the wheel carries the sample DAGs as
``signs_provider/example_dags/``, and the sdist holds every file needed to build and test the project."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# What building and testing needs, besides the provider's own sources.
NEEDED = (
    ".ci/",
    "dags/",
    "tests/",
    "docs/",
    "emulator/",
    "dev/",
    "bench/",
    "requirements/lock.txt",
    "LICENSE",
    "Makefile",
)


def _tracked_files() -> list[str]:
    """The project's files: git's list plus the files of the work tree that git does not ignore."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git work tree: cannot tell which files belong to the project")
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        name
        for name in result.stdout.splitlines()
        if (REPO / name).is_file() and not name.startswith("artifacts/") and "__pycache__" not in name
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, list[str]]]:
    """The sdist and wheel of a copy of the project (building leaves nothing in the work tree)."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (make install brings it)")
    files = _tracked_files()
    source = tmp_path_factory.mktemp("project")
    for name in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    # The wheel is built from the sdist (uv's default), so the sdist must be enough to build it.
    subprocess.run([uv, "build", "-q", "-o", str(out), str(source)], check=True, capture_output=True)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    yield sdist, wheel, files


DATA = "share/airflow-provider-signs/example_dags"


def test_the_wheel_carries_the_sample_dags(built) -> None:
    _, wheel, _ = built
    names = zipfile.ZipFile(wheel).namelist()
    dags = sorted(p.name for p in (REPO / "dags").glob("*.py"))
    assert "_handoff.py" in dags
    assert sorted(n.rsplit("/", 1)[1] for n in names if f".data/data/{DATA}/" in n) == dags
    assert any(n.endswith("licenses/LICENSE") for n in names)


def test_the_sdist_holds_what_building_and_testing_need(built) -> None:
    sdist, _, files = built
    with tarfile.open(sdist) as archive:
        root = archive.getnames()[0].split("/", 1)[0]
        shipped = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    needed = sorted(name for name in files if name.startswith(NEEDED) and not name.startswith("docs/_build/"))
    assert "tests/distributed/test_package.py" in needed and "requirements/lock.txt" in needed
    missing = [name for name in needed if name not in shipped]
    assert missing == [], f"{root}: missing from the sdist (MANIFEST.in): {missing[:20]}"


# The manual's way of finding the sample DAGs that came with the provider, to copy them to a DAG folder.
WHERE_ARE_THE_DAGS = "import sys; print(sys.prefix + '/share/airflow-provider-signs/example_dags')"


def test_the_example_dags_can_be_found_where_the_wheel_installs_them(built, tmp_path: Path) -> None:
    _, wheel, _ = built
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv is not None
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    # Without dependencies: only where the wheel's files land matters here.
    subprocess.run([uv, "pip", "install", "-q", "--no-deps", "--python", python, str(wheel)], check=True)
    result = subprocess.run([python, "-c", WHERE_ARE_THE_DAGS], capture_output=True, text=True, check=True)
    folder = Path(result.stdout.strip())
    assert folder.is_relative_to(venv)
    assert sorted(p.name for p in folder.glob("*.py")) == sorted(p.name for p in (REPO / "dags").glob("*.py"))
