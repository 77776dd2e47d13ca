"""Register the Airflow API server's receiver as the OpenSign account's webhook (run once per account).

``AIRFLOW_PUBLIC_URL`` is the address OpenSign reaches your Airflow API server at (through the
reverse proxy); OpenSign needs ``https://`` there.
"""

from __future__ import annotations

import os

# --8<-- [start:register_webhook]
from signs_provider.opensign.hooks import OpenSignHook
from signs_provider.opensign.receiver import webhook_path

public_url = os.environ.get("AIRFLOW_PUBLIC_URL", "https://airflow.example.com")
hook = OpenSignHook(opensign_conn_id="opensign_default")
registered = hook.set_webhook(public_url + webhook_path("opensign_default"))
print("OpenSign now posts its events to", registered)
# --8<-- [end:register_webhook]
