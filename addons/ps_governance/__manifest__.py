{
    "name": "PS Governance",
    "summary": "Workflow scorecard, exception queue, signed webhooks and audit-chain verification",
    "version": "18.0.1.0.0",
    "category": "Services/Professional Services",
    "author": "PS Suite",
    "license": "LGPL-3",
    "depends": [
        "ps_base",
    ],
    "data": [],
    "installable": True,
    "application": False,
}
