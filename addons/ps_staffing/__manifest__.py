{
    "name": "PS Staffing",
    "summary": "Staffing requests, candidate ranking, allocations and over-allocation approvals",
    "version": "18.0.1.0.0",
    "category": "Services/Professional Services",
    "author": "PS Suite",
    "license": "LGPL-3",
    "depends": [
        "ps_base",
        "project",
        "hr_skills",
        "hr_holidays",
    ],
    "data": [],
    "installable": True,
    "application": False,
}
