"""``python -m signs_provider.conformance``: see :mod:`signs_provider.conformance.cli`."""

from __future__ import annotations

from signs_provider.conformance.cli import main

raise SystemExit(main())
