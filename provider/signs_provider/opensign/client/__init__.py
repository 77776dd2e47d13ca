"""What the OpenSign API offers, one object per area, composed by :class:`OpenSignClient`.

The hook builds one client and delegates to it; each area gets what it depends on through its
constructor: sending needs templates (a template send checks its roles) and documents (a document
found again comes back with its signing links), downloads need documents (fresh file URLs).
"""

from __future__ import annotations

from collections.abc import Callable

from signs_provider.opensign.client.account import Account
from signs_provider.opensign.client.contacts import Contacts
from signs_provider.opensign.client.documents import Documents
from signs_provider.opensign.client.downloads import Downloads
from signs_provider.opensign.client.folders import Folders
from signs_provider.opensign.client.polling import Polling
from signs_provider.opensign.client.rest import Endpoint, RestSession
from signs_provider.opensign.client.sending import Sending, SentDocument
from signs_provider.opensign.client.templates import Templates
from signs_provider.opensign.client.webhook import Webhook

__all__ = ["Endpoint", "OpenSignClient", "RestSession", "SentDocument"]


class OpenSignClient:
    """The OpenSign API by area: ``account``, ``sending``, ``documents``, ``downloads``, ``polling``,
    ``templates``, ``contacts``, ``folders``, ``webhook``.

    :param rest: the REST session every area sends through.
    :param landing_wait: how long a write with a lost answer may take to show (read when needed).
    :param create_attempts: ignored (deprecated): a create whose outcome is unknown is never resent.
    """

    def __init__(
        self, rest: RestSession, *, landing_wait: Callable[[], float], create_attempts: int = 1
    ) -> None:
        self.rest = rest
        self.account = Account(rest)
        self.templates = Templates(rest)
        self.contacts = Contacts(rest)
        self.folders = Folders(rest)
        self.webhook = Webhook(rest)
        self.polling = Polling(rest)
        self.documents = Documents(rest, landing_wait=landing_wait)
        self.downloads = Downloads(rest, self.documents)
        self.sending = Sending(
            rest,
            templates=self.templates,
            documents=self.documents,
            landing_wait=landing_wait,
        )

    def close(self) -> None:
        self.downloads.close()
