from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.ps_base.tests.kit import ApprovableContract

from .common import PsApprovalsCommon


class _Rpc:
    def _rpc(self, user, records, method, *args, **kwargs):
        return call_kw(records.env(user=user)[records._name], method,
                       [records.ids, *args], kwargs)


@tagged("post_install", "-at_install")
class TestQuoteContract(ApprovableContract, PsApprovalsCommon):
    """Quotes under the engine's contract (ps_base's test kit)."""

    kit_forged = {"ps_max_discount": 0.0, "margin_percent": 0.9,
                  "ps_amount_untaxed_company": 1.0, "amount_untaxed": 1.0}
    kit_forged_sources = (("", "currency_rate", 1000.0),
                          ("order_line", "price_subtotal", 1.0))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kit_requester = cls.salesman
        cls.kit_approver = cls.sales_manager
        cls.kit_outsider = cls.salesman_2

    def _kit_document(self):
        return self._quote(discount=30.0)

    def _kit_submit(self, document):
        document.action_confirm()


@tagged("post_install", "-at_install")
class TestTamperPolicies(_Rpc, PsApprovalsCommon):

    def test_forged_discount_then_confirm(self):
        # reproduced before the fix: the salesman wrote the stored facts, then confirmed
        order = self._quote(discount=30.0)
        with self.assertRaises(UserError):
            self._rpc(self.salesman, order, "write", {"ps_max_discount": 0.0,
                                                      "margin_percent": 0.9})
        self._rpc(self.salesman, order, "action_confirm")
        self.assertEqual(order.state, "draft", "held for the sales manager")
        self.assertEqual(order.ps_approval_state, "pending")

    def test_rate_forged_over_rpc_is_recomputed_at_decision(self):
        order = self._quote(qty=60.0)  # 60,000: a large quote
        # the computed currency rate written by hand: the quote looks small in company
        # currency (the amount policy reads it)
        self._rpc(self.salesman, order, "write", {"currency_rate": 1000.0})
        self.assertLess(order.ps_amount_untaxed_company, 50000.0, "the forgery reached the fact")
        self._rpc(self.salesman, order, "action_confirm")
        self.assertEqual(order.state, "draft", "held for the sales manager and finance")
        self.assertEqual(order.ps_approval_state, "pending")
        self.assertEqual(order.ps_amount_untaxed_company, 60000.0, "recomputed from its sources")

    def test_rate_forged_on_a_cancelled_order_counts_once_it_is_a_quote_again(self):
        order = self._quote(qty=10.0)  # 10,000: below every threshold
        self._rpc(self.salesman, order, "action_confirm")
        self.assertEqual(order.state, "sale")
        # forged while past the gate (cancelled: the salesman confirmed Odoo's cancel
        # wizard), then made large and confirmed again
        order.with_user(self.salesman)._action_cancel()
        self.assertEqual(order.state, "cancel")
        self._rpc(self.salesman, order, "write", {"currency_rate": 1000.0})
        self._rpc(self.salesman, order, "action_draft")
        self._rpc(self.salesman, order.order_line, "write", {"product_uom_qty": 60.0})
        self._rpc(self.salesman, order, "action_confirm")
        self.assertEqual(order.state, "draft", "60,000 needs the sales manager and finance")
        self.assertEqual(order.ps_approval_state, "pending")

    def test_quote_forged_at_creation_over_rpc_is_recomputed_at_decision(self):
        env = self.env(user=self.salesman)
        [order_id] = call_kw(env["sale.order"], "create", [[{
            "partner_id": self.customer.id, "user_id": self.salesman.id,
            "currency_rate": 1000.0, "amount_untaxed": 1.0, "ps_amount_untaxed_company": 1.0,
            "order_line": [Command.create({
                "product_id": self.consulting.id, "product_uom_qty": 60.0,
                "price_unit": 1000.0, "price_subtotal": 1.0, "price_total": 1.0})],
        }]], {})
        order = self.env["sale.order"].browse(order_id)
        Taint = self.env["ps.fact.taint"].sudo()
        self.assertEqual(set(Taint.search([("res_model", "=", "sale.order"),
                                           ("res_id", "=", order.id)]).mapped("field_name")),
                         {"currency_rate", "amount_untaxed", "ps_amount_untaxed_company"},
                         "the values written at creation are recorded")
        self._rpc(self.salesman, order, "action_confirm")
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.ps_approval_state, "pending")
        self.assertEqual(order.ps_amount_untaxed_company, 60000.0)
        self.assertFalse(Taint.search_count([("res_model", "=", "sale.order"),
                                             ("res_id", "=", order.id)]),
                         "forgotten once recomputed")

    def test_zero_purchase_price_does_not_make_the_margin(self):
        self.consulting.sudo().standard_price = 950.0  # 5% margin at 1,000
        order = self._quote()
        self._rpc(self.salesman, order.order_line, "write", {"purchase_price": 0.0})
        self.assertTrue(order.ps_quote_policy_breach)
        self._rpc(self.salesman, order, "action_confirm")
        self.assertEqual(order.state, "draft", "the margin is measured on the product cost")

    def test_budget_change_values_and_state_in_one_write(self):
        self.project.sudo().ps_original_budget = 100000.0
        change = self.env["ps.budget.change"].with_user(self.pm).create({
            "project_id": self.project.id, "new_budget": 100000.0, "reason": "no change"})
        with self.assertRaises(UserError):
            self._rpc(self.pm, change, "write", {"new_budget": 1e9, "state": "applied"})
        self.assertEqual(self.project.ps_budget_amount, 100000.0)

    def test_applied_amendment_states_change_through_actions_only(self):
        self.project.sudo().ps_original_budget = 100000.0
        change = self.env["ps.budget.change"].with_user(self.pm).create({
            "project_id": self.project.id, "new_budget": 95000.0, "reason": "small cut"})
        change.with_user(self.pm).action_submit()
        self.assertEqual(change.state, "applied")
        for state in ("cancelled", "draft", "submitted"):
            with self.assertRaises(UserError):
                self._rpc(self.pm, change, "write", {"state": state})
        self.assertEqual(self.project.ps_budget_amount, 95000.0)
        with self.assertRaises(UserError):
            self.env["ps.budget.change"].with_user(self.pm).create({
                "project_id": self.project.id, "new_budget": 1e9, "reason": "born applied",
                "state": "applied"})

    def test_project_budget_is_not_written_directly(self):
        with self.assertRaises(UserError):
            self._rpc(self.pm, self.project, "write", {"ps_budget_amount": 1e9})

    def test_change_order_line_on_another_order(self):
        order = self._confirmed_order()
        other = self._confirmed_order()
        change = self.env["ps.change.order"].with_user(self.salesman).create({
            "order_id": order.id, "reason": "more days"})
        with self.assertRaises(ValidationError):
            self.env["ps.change.order.line"].with_user(self.salesman).create({
                "change_id": change.id, "sale_line_id": other.order_line[0].id,
                "product_uom_qty": 0.0})

    def test_expense_over_policy_flag_is_not_written(self):
        sheet = self._expense_sheet(100.0)
        with self.assertRaises(UserError):
            self._rpc(self.employee_user, sheet.expense_line_ids, "write",
                      {"ps_over_policy": False})

    def test_expense_report_not_posted_without_approval(self):
        sheet = self._expense_sheet(5000.0, with_receipt=False)
        sheet.with_user(self.employee_user).action_submit_sheet()
        self.assertEqual(sheet.ps_approval_state, "pending")
        sheet.sudo().action_sheet_move_post()
        self.assertFalse(sheet.account_move_ids.filtered(lambda m: m.state == "posted"),
                         "posting the report's entries waits for the approval")


@tagged("post_install", "-at_install")
class TestNeutralMachinery(PsApprovalsCommon):
    """Engine fields never travel through delegation, copy or another module's create."""

    def test_bank_statement_line_with_rules_archived(self):
        self.env["ps.approval.rule"].sudo().search([]).write({"active": False})
        journal = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1)
        line = self.env["account.bank.statement.line"].create({
            "journal_id": journal.id, "amount": 100.0, "payment_ref": "ref",
            "date": "2026-11-01"})
        self.assertEqual(line.move_id.state, "posted")

    def test_bank_statement_line_with_policies_active(self):
        journal = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1)
        line = self.env["account.bank.statement.line"].create({
            "journal_id": journal.id, "amount": -100.0, "payment_ref": "fee",
            "date": "2026-11-01"})
        self.assertEqual(line.move_id.state, "posted")

    def test_invoice_duplicate_carries_no_approval(self):
        order = self._confirmed_order()
        invoice = order._create_invoices()
        copy = invoice.copy()
        self.assertEqual(copy.ps_approval_state, "not_required")
        self.assertFalse(copy.ps_approval_deferred_user_id)

    def _archive_rules(self):
        self.env["ps.approval.rule"].sudo().search([]).write({"active": False})

    def test_rules_archived_orders_as_in_plain_odoo(self):
        """Copy, import and any change of a confirmed order, as in Odoo."""
        self._archive_rules()
        order = self._quote(discount=40.0)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        order.order_line.with_user(self.salesman).write({"product_uom_qty": 300.0})
        order.with_user(self.salesman).write({"order_line": [Command.create(
            {"product_id": self.consulting.id, "product_uom_qty": 50.0})]})
        self.assertEqual(order.amount_untaxed, 300 * 600.0 + 50000.0)
        self.assertFalse(order.ps_direct_change_amount)
        copy = order.with_user(self.salesman).copy()
        self.assertEqual((copy.state, copy.ps_approval_state), ("draft", "not_required"))
        result = self.env["sale.order"].with_user(self.salesman).load(
            ["partner_id/.id", "user_id/.id", "order_line/product_id/.id",
             "order_line/product_uom_qty", "order_line/discount"],
            [[str(self.customer.id), str(self.salesman.id), str(self.consulting.id), "5", "50"]])
        self.assertFalse(result["messages"])
        imported = self.env["sale.order"].browse(result["ids"])
        imported.with_user(self.salesman).action_confirm()
        self.assertEqual(imported.state, "sale")

    def test_rules_archived_credit_note_reversal_posts_at_once(self):
        self._archive_rules()
        invoice = self.env["account.move"].with_user(self.billing).create({
            "move_type": "out_invoice", "partner_id": self.customer.id,
            "invoice_date": "2026-11-01",
            "invoice_line_ids": [Command.create({
                "product_id": self.consulting.id, "quantity": 1.0, "price_unit": 20000.0,
                "tax_ids": [Command.clear()]})]})
        invoice.with_user(self.billing).action_post()
        reversal = self.env["account.move.reversal"].with_user(self.billing).with_context(
            active_model="account.move", active_ids=invoice.ids).create(
            {"journal_id": invoice.journal_id.id, "reason": "Cancelled engagement"})
        reversal.modify_moves()
        refund = invoice.reversal_move_ids
        self.assertEqual((refund.state, refund.ps_approval_state), ("posted", "not_required"))
        self.assertEqual(invoice.payment_state, "reversed")


@tagged("post_install", "-at_install")
class TestPolicyForms(PsApprovalsCommon):
    """Every governed document gets the engine's approval UI once, with no pasted copy."""

    def test_forms(self):
        from odoo.addons.ps_base.tests.test_form import approval_ui
        for model in ("sale.order", "account.move", "hr.expense.sheet", "ps.change.order",
                      "ps.budget.change"):
            approve, status, page = approval_ui(self.env, model)
            self.assertEqual((len(approve), len(status), len(page)), (1, 1, 1), model)
        approve = approval_ui(self.env, "hr.expense.sheet")[0][0]
        self.assertIn("can_approve", approve.get("invisible"),
                      "Odoo's own Approve button decides where it may be used")


@tagged("post_install", "-at_install")
class TestSodUnderSuperuser(_Rpc, PsApprovalsCommon):

    def test_cycle_started_by_a_technical_call_keeps_segregation(self):
        # a customer signing online confirms the quote through sudo()
        order = self._quote(discount=30.0)
        order.sudo().action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.ps_approval_deferred_user_id, self.salesman,
                         "it completes in the salesperson's name")
        with self.assertRaises(UserError):
            self._rpc(self.salesman, order, "action_ps_approve")
        order.with_user(self.sales_manager).action_ps_approve()
        self.assertEqual(order.state, "sale")
