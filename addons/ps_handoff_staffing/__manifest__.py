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
    "data": [
        "data/ir_actions_server_data.xml",
        "views/ps_capacity_need_views.xml",
    ],
    "installable": True,
    "auto_install": True,
    "application": False,
}
