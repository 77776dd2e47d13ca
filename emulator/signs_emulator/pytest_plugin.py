"""pytest fixtures that start the signs emulator (registered as the ``signs_emulator`` pytest plugin).

``signs_emulator`` (session scope) starts one emulator on a free loopback port for the whole run;
``emulator`` (function scope) hands the same emulator to a test after resetting its state, fault rules,
request counters and clock, so tests do not see each other's data.

This module imports nothing heavy at import time: pytest loads it for every project that installs the
provider, including ones that never installed the ``emulator`` extra.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from signs_emulator import Emulator


@pytest.fixture(scope="session")
def signs_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """A started emulator shared by the whole test session."""
    from signs_emulator import Emulator

    with Emulator(data_dir=tmp_path_factory.mktemp("signs-emulator")) as emu:
        yield emu


@pytest.fixture
def emulator(signs_emulator: Emulator) -> Iterator[Emulator]:
    """The session emulator, reset to its seeded state before the test."""
    signs_emulator.control.reset()
    yield signs_emulator
