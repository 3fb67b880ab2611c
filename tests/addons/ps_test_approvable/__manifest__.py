{
    "name": "PS Test: Approvable Document",
    "summary": "Test-only document gated by ps_base's approval engine, by declaration. "
    "Installed by `make test` only, never in production.",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "license": "LGPL-3",
    "author": "PS Suite",
    "depends": ["ps_base"],
    "data": [
        "security/ir.model.access.csv",
        "views/ps_test_approvable_views.xml",
    ],
    "installable": True,
    "application": False,
}
