{
    "name": "PS Test: Role Tours",
    "summary": "Browser tours of the suite, one per role (resource manager, finance controller, "
    "administrator), run by tests/test_role_tours.py. Installed by `make test` only, never "
    "in production.",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "license": "LGPL-3",
    "author": "PS Suite",
    "depends": [
        "ps_staffing",
        "ps_billing_readiness",
        "ps_governance",
        "ps_handoff",
        "ps_approvals",
    ],
    "assets": {
        "web.assets_tests": ["ps_test_tours/static/tests/tours/*.js"],
    },
    "installable": True,
    "auto_install": False,
    "application": False,
}
