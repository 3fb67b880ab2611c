{
    "name": "Professional Services: Handoff",
    "summary": "A confirmed sale order becomes a ready project through a governed handoff: "
    "checklist from templates, kickoff tasks, a gate on project start, kickoff exceptions "
    "approved through ps_base, stalled-handoff escalation",
    "version": "18.0.1.0.0",
    "category": "Services/Professional Services",
    "author": "PS Suite",
    "website": "https://github.com/ps-suite/ps-suite",
    "license": "LGPL-3",
    "depends": [
        "ps_base",
        "sale_project",
        "sale_crm",
        "base_automation",
    ],
    "data": [
        "security/ir.model.access.csv",
        "security/ps_handoff_security.xml",
        "data/ir_sequence_data.xml",
        "data/mail_activity_type_data.xml",
        "data/ps_handoff_data.xml",
        "data/ir_cron_data.xml",
        "views/ps_handoff_views.xml",
        "views/ps_capacity_need_views.xml",
        "data/base_automation_data.xml",
        "views/res_config_settings_views.xml",
        "views/ps_handoff_menus.xml",
    ],
    "demo": ["demo/ps_handoff_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "ps_handoff/static/tests/tours/ps_handoff_tour.js",
        ],
    },
    "installable": True,
    "application": False,
}
