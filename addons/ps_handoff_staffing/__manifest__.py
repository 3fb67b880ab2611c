{
    "name": "Professional Services: Handoff to Staffing",
    "summary": "Bridge: a complete handoff's staffing assumptions become staffing requests",
    "version": "18.0.1.0.0",
    "category": "Services/Professional Services",
    "author": "PS Suite",
    "website": "https://github.com/ps-suite/ps-suite",
    "license": "LGPL-3",
    "depends": [
        "ps_handoff",
        "ps_staffing",
    ],
    "data": [],
    "installable": True,
    "auto_install": True,
    "application": False,
}
