"""The DAG folder on ``sys.path``, as Airflow puts it for the DAG processor and the workers (the bundle's
DagBag does), so that the sample DAGs' ``from _handoff import ...`` resolves in a plain ``DagBag`` too."""

from __future__ import annotations

import sys
from pathlib import Path

DAGS = str(Path(__file__).resolve().parents[2] / "dags")
if DAGS not in sys.path:
    sys.path.append(DAGS)
