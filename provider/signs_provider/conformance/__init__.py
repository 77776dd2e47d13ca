"""A live conformance check: does the real OptiSigns / OpenSign API agree with the provider's guesses?

Run ``python -m signs_provider.conformance --help``. Given an OptiSigns API key and/or an OpenSign API
token (or Airflow connections holding them), it makes **only reads** and reports, guess by guess, whether
the real API agrees with what the provider sends:

- OptiSigns: the schema by introspection, where the API allows it. Every name the provider can send (the
  weak-evidence table :data:`signs_provider.optisigns.client.evidence.WEAK_NAMES` and the trusted names) is
  looked up in it, and, with ``graphql-core`` installed, every GraphQL document of the provider's client is
  validated against it. Where introspection is refused, each read-side weak name is tried in a minimal
  query of its own (a document the API refuses in validation is never executed); the other names are
  reported unknown.
- OpenSign: the read endpoints (user, credits, the first item of each list, the webhook), each answer
  checked against the response shapes of the official v1.2 specification.

The report names versions and endpoints, never a secret; exit status 0 when nothing was refuted, 1 when a
guess was refuted or an answer broke its shape, 2 when the check could not run (bad credentials, no
network). Its text is what to paste into a bug report.
"""

from __future__ import annotations

from signs_provider.conformance.report import Check, Report

__all__ = ["Check", "Report"]
