{
    "name": "PS Billing Readiness",
    "summary": "Timesheet approval, billing readiness checks, blockers and invoice release",
    "version": "18.0.1.0.0",
    "category": "Services/Professional Services",
    "author": "PS Suite",
    "license": "LGPL-3",
    "depends": [
        "ps_base",
        "sale_timesheet",
        "hr_expense",
        "sale_expense",
    ],
    "data": [
        "security/ir.model.access.csv",
        "wizards/ps_timesheet_reject_wizard_views.xml",
        "views/account_analytic_line_views.xml",
        "views/res_config_settings_views.xml",
        "views/ps_billing_readiness_menus.xml",
    ],
    "installable": True,
    "application": False,
}
