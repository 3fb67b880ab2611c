from odoo import Command
from odoo.tests import tagged

from .common import PsApprovalsCommon


@tagged("post_install", "-at_install")
class TestPolicyQueryBudget(PsApprovalsCommon):
    """The policies add a constant number of queries to a request for approval (the
    engine's inserts go by a thousand rows), plus the recomputation of the facts the
    policies read from their sources: Odoo reads the taxes of each order line once when
    it recomputes the line amounts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.quotes = cls.env["sale.order"].with_user(cls.salesman).create([{
            "partner_id": cls.customer.id,
            "user_id": cls.salesman.id,
            "order_line": [Command.create({"product_id": cls.consulting.id,
                                           "product_uom_qty": 1.0, "discount": 20.0})],
        } for _i in range(111)])

    def _count(self, records):
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        records.action_ps_request_approval()
        return self.env.cr.sql_log_count - before

    def test_request_approval_flat(self):
        # warm the registry caches (rules of the model, access rules) once
        self.quotes[:1].with_user(self.salesman).action_ps_request_approval()
        small = self._count(self.quotes[1:11].with_user(self.salesman))
        large = self._count(self.quotes[11:111].with_user(self.salesman))
        self.assertEqual(set(self.quotes.mapped("ps_approval_state")), {"pending"})
        lines = len(self.quotes[11:111].order_line) - len(self.quotes[1:11].order_line)
        self.assertLessEqual(large - small, lines,
                             "no more than one query per order line recomputed")

    def test_inbox_and_activities_flat(self):
        self.quotes.with_user(self.salesman).action_ps_request_approval()
        Line = self.env["ps.approval.line"]
        # the first scheduling pass creates the activities in one batch per call
        self.assertGreaterEqual(Line._cron_schedule_activities(), 111)
        mine = Line.with_user(self.sales_manager).search(
            [("user_id", "=", self.sales_manager.id), ("state", "=", "pending")])
        self.assertEqual(len(mine), 111)
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        mine.mapped("document_type")
        self.assertLessEqual(self.env.cr.sql_log_count - before, 3)
