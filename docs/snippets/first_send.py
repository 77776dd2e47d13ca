"""The manual's first OpenSign DAG: send a PDF for signature and wait for it in the triggerer.

Included in the README and the manual from this file; ``tests/docs/test_snippets.py`` runs it
against the emulator.
"""

# --8<-- [start:dag]
from airflow.sdk import DAG, Param

from signs_provider.opensign.operators import OpenSignSendForSignatureOperator
from signs_provider.opensign.sensors import OpenSignDocumentSensor

with DAG(
    dag_id="docs_first_send",
    schedule=None,
    params={"pdf": Param("s3://contracts/offer.pdf", type="string", description="The PDF to sign")},
):
    send = OpenSignSendForSignatureOperator(
        task_id="send",
        file="{{ params.pdf }}",
        title="Offer",
        signers=[
            {
                "name": "Ada",
                "email": "ada@example.com",
                "widgets": [{"type": "signature", "page": 1, "x": 72, "y": 640, "w": 220, "h": 60}],
            }
        ],
    )
    wait = OpenSignDocumentSensor(task_id="wait", document_ids=send.output, deferrable=True, poke_interval=2)
# --8<-- [end:dag]
