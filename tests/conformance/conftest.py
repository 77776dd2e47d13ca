"""The capturing fixtures of tests/evidence (every GraphQL body the hook sends, a PNG to upload)."""

from tests.evidence.test_optisigns_documents import captured, png  # noqa: F401
