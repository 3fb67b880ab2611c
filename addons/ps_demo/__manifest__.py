{
    "name": "PS Suite Demo: a firm with two practices",
    "summary": "Demo story: two practices and a quarter of activity across the suite, so every "
               "screen of `make run` shows data",
    "version": "18.0.1.0.0",
    "category": "Services/Professional Services",
    "author": "PS Suite",
    "website": "https://github.com/ps-suite/ps-suite",
    "license": "LGPL-3",
    "depends": [
        "ps_handoff",
        "ps_staffing",
        "ps_billing_readiness",
        "ps_approvals",
        "ps_governance",
        "ps_handoff_staffing",
    ],
    # nothing without demo data: the story is loaded by the demo file only
    "data": [],
    "demo": ["demo/ps_demo_story_demo.xml"],
    "installable": True,
    "auto_install": False,
    "application": False,
}
