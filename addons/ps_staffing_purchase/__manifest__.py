{
    "name": "PS Staffing: Subcontractor Purchases",
    "summary": "Bridge: purchase orders to subcontractors are approved by procurement, then "
               "legal and security for regulated clients",
    "version": "18.0.1.0.0",
    "category": "Services/Professional Services",
    "author": "PS Suite",
    "website": "https://github.com/ps-suite/ps-suite",
    "license": "LGPL-3",
    # project_purchase (Odoo CE, auto-installed with project and purchase) gives a purchase
    # order its project: the first link to the client served
    "depends": ["ps_staffing", "ps_approvals", "purchase", "project_purchase"],
    "data": [
        "security/ps_staffing_purchase_security.xml",
        "security/ir.model.access.csv",
        "data/ps_approval_rule_data.xml",
        "views/purchase_order_views.xml",
        "views/ps_staffing_purchase_menus.xml",
    ],
    "installable": True,
    "auto_install": True,
    "application": False,
}
