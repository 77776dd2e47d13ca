"""pytest fixtures that start the signs emulator (registered as the ``signs_emulator`` pytest plugin).

``signs_emulator`` (session scope) starts one emulator on a free loopback port for the whole run;
``emulator`` (function scope) hands the same emulator to a test after resetting its state, fault rules,
request counters and clock, so tests do not see each other's data.

Pessimistic mode (the OptiSigns schema without every name that no trusted public document uses): the option
``--signs-emulator-pessimistic`` or ``SIGNS_EMULATOR_PESSIMISTIC=1`` turns it on for the whole run; the marker
``@pytest.mark.signs_emulator_pessimistic`` (or ``(False)``) sets it for one test.

This module imports nothing heavy at import time: pytest loads it for every project that installs the
provider, including ones that never installed the ``emulator`` extra.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from signs_emulator import Emulator


PESSIMISTIC_ENV_VAR = "SIGNS_EMULATOR_PESSIMISTIC"
MARKER = "signs_emulator_pessimistic"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("signs_emulator")
    group.addoption(
        "--signs-emulator-pessimistic",
        action="store_true",
        default=False,
        help="serve the emulated OptiSigns schema without its weakly evidenced names "
        f"(also ${PESSIMISTIC_ENV_VAR}=1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(on=True): run the test against the emulator in pessimistic mode (or, with False, not)",
    )


def session_pessimistic(config: pytest.Config) -> bool:
    """Whether the run asked for pessimistic mode (option or environment variable)."""
    from signs_emulator.__main__ import env_flag

    return bool(config.getoption("--signs-emulator-pessimistic", default=False)) or env_flag(
        PESSIMISTIC_ENV_VAR
    )


@pytest.fixture(scope="session")
def signs_emulator(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[Emulator]:
    """A started emulator shared by the whole test session."""
    from signs_emulator import Emulator

    pessimistic = session_pessimistic(pytestconfig)
    with Emulator(data_dir=tmp_path_factory.mktemp("signs-emulator"), pessimistic=pessimistic) as emu:
        yield emu


@pytest.fixture
def emulator(signs_emulator: Emulator, request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """The session emulator, reset to its seeded state before the test (in the mode the run or the test's
    ``signs_emulator_pessimistic`` marker asks for)."""
    marker = request.node.get_closest_marker(MARKER)
    wanted = session_pessimistic(request.config)
    if marker is not None:
        wanted = bool(marker.args[0]) if marker.args else True
    signs_emulator.control.reset()
    signs_emulator.pessimistic = wanted
    yield signs_emulator
