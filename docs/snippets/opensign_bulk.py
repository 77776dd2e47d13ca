"""A bulk send with dynamic task mapping: one document per recipient, one sensor for all."""

from airflow.sdk import DAG, Param

recipients = [
    {"name": "Ada Lovelace", "email": "ada@example.com"},
    {"name": "Grace Hopper", "email": "grace@example.com"},
]

with DAG(
    dag_id="docs_opensign_bulk",
    schedule=None,
    params={"pdf": Param("s3://contracts/offer.pdf", type="string")},
):
    # --8<-- [start:bulk]
    from signs_provider.opensign.operators import (
        OpenSignCheckCreditsOperator,
        OpenSignSendForSignatureOperator,
    )
    from signs_provider.opensign.sensors import OpenSignDocumentSensor

    check = OpenSignCheckCreditsOperator(task_id="check_credits", required=len(recipients))
    send = OpenSignSendForSignatureOperator.partial(
        task_id="send", file="{{ params.pdf }}", title="Offer"
    ).expand(
        signers=[
            [
                {
                    "name": r["name"],
                    "email": r["email"],
                    "widgets": [{"type": "signature", "page": 1, "x": 72, "y": 640, "w": 220, "h": 60}],
                }
            ]
            for r in recipients
        ]
    )
    wait = OpenSignDocumentSensor(task_id="wait", document_ids=send.output, deferrable=True, poke_interval=2)
    check >> send
    # --8<-- [end:bulk]
