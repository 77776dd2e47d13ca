"""What both products' sensors share: check once on the worker, then wait in the triggerer."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger


class DeferrableSignsSensor(BaseSensorOperator):
    """A sensor that pokes once on the worker and, if not done, defers to its trigger.

    The first check costs one poll and spares a deferral when there is nothing to wait for (the
    asset is already converted, the documents are already signed). A subclass implements
    :meth:`poke` and :meth:`trigger`, and handles the trigger's event in ``execute_complete``.

    :param deferrable: wait in the triggerer instead of holding a worker slot (default: Airflow's
        ``[operators] default_deferrable``).
    """

    def __init__(self, *, deferrable: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if deferrable is None:
            from airflow.sdk import conf

            deferrable = conf.getboolean("operators", "default_deferrable", fallback=False)
        self.deferrable = deferrable

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        first = self.poke(context)
        if isinstance(first, PokeReturnValue) and first.is_done:
            return first.xcom_value
        if first is True:
            return None
        self.defer(
            trigger=self.trigger(context),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout) if self.timeout else None,
        )

    def trigger(self, context: Context) -> BaseTrigger:
        """The trigger that waits for what :meth:`poke` checks."""
        raise NotImplementedError
