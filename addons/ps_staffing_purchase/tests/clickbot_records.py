"""Rows for the lists of the purchase bridge's menus, for tests/test_clickbot.py."""
from odoo import Command


def populate(env, admin, ps_user):  # pylint: disable=unused-argument
    """A purchase order to a subcontractor, held for the procurement review (Approvals >
    Held Purchases, Purchase > Orders > Held for Approval)."""
    vendor = env["res.partner"].create(
        {"name": "Clickbot Subcontracting", "is_company": True, "ps_is_subcontractor": True})
    service = env["product.product"].create({
        "name": "Clickbot subcontracted work", "type": "service", "purchase_ok": True,
        "standard_price": 90.0})
    order = env["purchase.order"].with_user(admin).create({
        "partner_id": vendor.id, "user_id": admin.id,
        "order_line": [Command.create({"product_id": service.id, "product_qty": 5.0,
                                       "price_unit": 90.0})],
    })
    order.button_confirm()
    return order
