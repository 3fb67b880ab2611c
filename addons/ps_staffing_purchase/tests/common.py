from odoo import Command
from odoo.tests import TransactionCase, new_test_user


class PurchaseGateCommon(TransactionCase):
    """Two buyers, a procurement reviewer, a legal and security reviewer, a purchase
    manager, a consultant; a subcontractor vendor and a plain one; a regulated client with a
    project (and its analytic account) and a plain client."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        env = cls.env

        def user(login, groups):
            return new_test_user(env, login=login, groups=groups,
                                 name=login.replace("_", " ").title())

        cls.buyer = user("sp_buyer", "purchase.group_purchase_user")
        cls.buyer_2 = user("sp_buyer_2", "purchase.group_purchase_user")
        cls.purchase_manager = user("sp_purchase_manager", "purchase.group_purchase_manager")
        cls.procurement = user("sp_procurement", "ps_staffing.group_ps_procurement")
        cls.legal = user("sp_legal", "ps_staffing_purchase.group_ps_legal_security")
        cls.consultant = user("sp_consultant", "ps_base.group_ps_user")
        cls.subcontractor = env["res.partner"].create(
            {"name": "Sub & Co", "is_company": True, "ps_is_subcontractor": True})
        cls.subcontractor_contact = env["res.partner"].create(
            {"name": "Sam Sub", "parent_id": cls.subcontractor.id})
        cls.vendor = env["res.partner"].create({"name": "Paper Supplies", "is_company": True})
        cls.bank = env["res.partner"].create(
            {"name": "Regulated Bank", "is_company": True, "ps_is_regulated": True})
        cls.retailer = env["res.partner"].create({"name": "Plain Retail", "is_company": True})
        cls.bank_project = env["project.project"].create(
            {"name": "Bank core migration", "partner_id": cls.bank.id})
        plan = env["account.analytic.plan"].create({"name": "Subcontracting projects"})
        cls.bank_account = env["account.analytic.account"].create(
            {"name": "Bank core migration", "plan_id": plan.id})
        cls.bank_project.account_id = cls.bank_account
        cls.retail_project = env["project.project"].create(
            {"name": "Retail shop", "partner_id": cls.retailer.id})
        cls.service = env["product.product"].create({
            "name": "Subcontracted development", "type": "service", "purchase_ok": True,
            "standard_price": 80.0})

    @classmethod
    def _order(cls, vendor=None, user=None, qty=10.0, price=100.0, **vals):
        user = user or cls.buyer
        return cls.env["purchase.order"].with_user(user).create({
            "partner_id": (vendor or cls.subcontractor).id, "user_id": user.id,
            "order_line": [Command.create({"product_id": cls.service.id, "product_qty": qty,
                                           "price_unit": price})],
            **vals,
        })
