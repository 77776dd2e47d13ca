"""Run every benchmark module of this package: each ``bench/<name>.py`` that defines ``main()``.

python -m bench                      # all of them
python -m bench optisigns_publish    # only these
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

# The tables are the output: keep the hooks' per-call info logs out of them.
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")


def main(argv: list[str] | None = None) -> int:
    wanted = set(argv if argv is not None else sys.argv[1:])
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_")
    )
    unknown = wanted - set(names)
    if unknown:
        print(
            f"Unknown benchmark(s): {', '.join(sorted(unknown))}. Available: {', '.join(names)}",
            file=sys.stderr,
        )
        return 2
    for name in names:
        if wanted and name not in wanted:
            continue
        module = importlib.import_module(f"bench.{name}")
        if callable(getattr(module, "main", None)):
            print(f"\n== bench.{name} ==")
            module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
