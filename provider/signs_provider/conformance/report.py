"""The conformance report: one :class:`Check` per guess or read, rendered as text or JSON, secrets masked."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

#: The real API agrees (a name is in its schema, a probe passed validation, an answer has the spec's shape).
PASS = "PASS"
#: The real API disagrees: the guess is refuted (or an answer breaks the spec's shape).
FAIL = "FAIL"
#: A refused document whose every refusal is an optional name the provider drops at run time.
WARN = "WARN"
#: Nothing read could settle it (e.g. a mutation's input without introspection: it would have to be sent).
UNKNOWN = "UNKNOWN"
#: The check could not run (refused credentials, network, an unexpected answer).
ERROR = "ERROR"

STATUSES = (PASS, WARN, UNKNOWN, FAIL, ERROR)
#: Kinds whose passing lines the text report counts instead of listing (unless verbose).
QUIET_KINDS = frozenset({"trusted name", "document"})


@dataclass
class Check:
    """One line of the report.

    :ivar product: ``optisigns`` or ``opensign``.
    :ivar kind: ``weak name``, ``trusted name``, ``document``, ``read``, ``guess`` or ``setup``.
    :ivar name: the guess as the provider's evidence tables write it (``QueryAssetInput.tags``), a
        document's operation, or an endpoint (``GET /getuser``).
    :ivar status: one of :data:`STATUSES`.
    :ivar evidence: the public evidence the provider had (trust level and corpus document, or the spec).
    :ivar detail: what the real API said.
    :ivar advice: what the user (or the provider's maintainers) can do about a refutation.
    """

    product: str
    kind: str
    name: str
    status: str
    evidence: str = ""
    detail: str = ""
    advice: str = ""


@dataclass
class Report:
    """Everything one run found, with the run's context (versions and endpoints, never a secret)."""

    context: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    def add(self, *checks: Check) -> None:
        self.checks.extend(checks)

    def extend(self, checks: Iterable[Check]) -> None:
        self.checks.extend(checks)

    @property
    def refuted(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    @property
    def errors(self) -> list[Check]:
        return [c for c in self.checks if c.status == ERROR]

    def exit_code(self) -> int:
        """1 when a guess was refuted, else 2 when a check could not run, else 0."""
        if self.refuted:
            return 1
        return 2 if self.errors else 0

    def to_json(self) -> str:
        counts = Counter(c.status for c in self.checks)
        return json.dumps(
            {
                "context": self.context,
                "summary": {s: counts.get(s, 0) for s in STATUSES},
                "exit_code": self.exit_code(),
                "checks": [asdict(c) for c in self.checks],
            },
            indent=2,
        )

    def to_text(self, *, verbose: bool = False) -> str:
        """The readable report. Trusted names that passed are counted, not listed (unless ``verbose``)."""
        lines = ["airflow-provider-signs live conformance check (reads only)"]
        lines += [f"  {key}: {value}" for key, value in self.context.items()]
        for product in dict.fromkeys(c.product for c in self.checks):
            checks = [c for c in self.checks if c.product == product]
            counts = Counter(c.status for c in checks)
            lines += ["", f"== {product}: " + ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])]
            quiet = 0
            for check in checks:
                if not verbose and check.kind in QUIET_KINDS and check.status == PASS:
                    quiet += 1
                    continue
                head = f"{check.status:<7} [{check.kind}] {check.name}"
                if check.evidence:
                    head += f"  (evidence: {check.evidence})"
                lines.append(head)
                for label, text in (("", check.detail), ("what to do: ", check.advice)):
                    if text:
                        lines += textwrap.wrap(
                            label + text, width=108, initial_indent="        ", subsequent_indent="          "
                        )
            if quiet:
                lines.append(
                    f"PASS    {quiet} more: trusted names and documents that passed (--verbose lists them)"
                )
        lines += ["", self.verdict()]
        return "\n".join(lines)

    def verdict(self) -> str:
        if self.refuted:
            return (
                f"RESULT: {len(self.refuted)} refuted. The provider falls back where the table says so; "
                "please paste this report into an issue of airflow-provider-signs."
            )
        if self.errors:
            return "RESULT: the check could not run completely (see ERROR lines)."
        return "RESULT: no guess refuted."


def mask(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (of 4 characters or more) replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
