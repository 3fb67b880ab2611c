import math
from unittest.mock import patch

from odoo.tests import tagged

from ..models.bulk import CHUNK
from .common import PsBaseCommon


@tagged("post_install", "-at_install")
class TestQueryBudgets(PsBaseCommon):
    """Requesting approval and listing one approver's pending approvals cost a constant
    number of queries, whatever the number of documents. The only statements that grow
    are the INSERT chunks of a thousand rows (bulk.py)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.requests = cls.env["ps.request"].with_user(cls.consultant).create([
            {"title": f"Licence {i}", "amount": 2000 + i, "category_id": cls.category.id}
            for i in range(111)])
        # the first step has one approver (the manager); later steps open later
        cls.lines_per_request = 1

    def _insert_chunks(self, count):
        return math.ceil(count / CHUNK)

    def test_request_approval_query_budget_is_flat(self):
        small = self.requests[1:11].with_user(self.consultant)
        large = self.requests[11:111].with_user(self.consultant)
        # warm registry-level caches (rules of the model, access rules) once
        self.requests[:1].with_user(self.consultant).action_ps_request_approval()
        base = 31
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=base):
            small.action_ps_request_approval()
        # 100 documents: the same statements (INSERTs go by a thousand rows)
        extra = (self._insert_chunks(100 * self.lines_per_request)
                 - self._insert_chunks(10 * self.lines_per_request))
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=base + extra):
            large.action_ps_request_approval()
        self.assertEqual(set(large.mapped("ps_approval_state")), {"pending"})
        self.assertEqual(len(self.env["ps.approval.line"].sudo().search(
            [("res_model", "=", "ps.request"), ("res_id", "in", large.ids)])), 100)

    def test_my_pending_approvals_query_budget_is_flat(self):
        self.requests.with_user(self.consultant).action_ps_request_approval()
        Line = self.env["ps.approval.line"].with_user(self.manager_user)
        domain = [("user_id", "=", self.manager_user.id), ("state", "=", "pending")]
        Line.search_count(domain)  # warm the access-rule caches
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=1):
            mine = Line.search_fetch(domain, ["res_name", "deadline", "tier_id"], limit=10)
        self.assertEqual(len(mine), 10)
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=1):
            mine = Line.search_fetch(domain, ["res_name", "deadline", "tier_id"])
        self.assertEqual(len(mine), 111)
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=1):
            self.assertEqual(Line.search_count(domain), 111)
        # the documents side: 'to review' is one indexed sub-select
        Request = self.env["ps.request"].with_user(self.manager_user)
        Request.search_count([("ps_approval_can_review", "=", True)])
        with self.assertQueryCount(__system__=1):
            self.assertEqual(Request.search_count([("ps_approval_can_review", "=", True)]), 111)


@tagged("post_install", "-at_install")
class TestFormReadsNoWrite(PsBaseCommon):
    """Showing whether a document needs approval (on every form read, in what Odoo may
    run as a read-only transaction) recomputes no fact and writes nothing; the decision
    recomputes them."""

    def test_needs_approval_shown_without_recomputing_facts(self):
        request = self.env["ps.request"].with_user(self.consultant).create(
            {"title": "Laptop", "amount": 2500, "category_id": self.category.id})
        Mixin = type(self.env["ps.approval.mixin"])
        with patch.object(Mixin, "_ps_refresh_facts", autospec=True) as refresh:
            request.invalidate_recordset(["ps_approval_required"])
            self.assertTrue(request.ps_approval_required)
        refresh.assert_not_called()
        with patch.object(Mixin, "_ps_refresh_facts", autospec=True,
                          side_effect=Mixin._ps_refresh_facts) as refresh:
            request.action_ps_request_approval()
        refresh.assert_called()
        self.assertEqual(request.ps_approval_state, "pending")
