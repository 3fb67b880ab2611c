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
    ],
    "data": [],
    "installable": True,
    "application": False,
}
