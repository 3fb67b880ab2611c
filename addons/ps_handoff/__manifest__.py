{
    "name": "PS Handoff",
    "summary": "Won deal or confirmed sale order to a ready project, through a governed handoff",
    "version": "18.0.1.0.0",
    "category": "Services/Professional Services",
    "author": "PS Suite",
    "license": "LGPL-3",
    "depends": [
        "ps_base",
        "sale_project",
    ],
    "data": [],
    "installable": True,
    "application": False,
}
