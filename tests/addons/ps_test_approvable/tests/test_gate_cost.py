from unittest.mock import patch

from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.ps_base.models import ps_approval_mixin

from .test_declared_document import DeclaredCommon


@tagged("post_install", "-at_install")
class TestGateDecidesOnce(DeclaredCommon):
    """A gated action decides once, on facts recomputed from their sources, for the whole
    batch: the state write the action makes while it runs does not decide again, unless
    that write carries lines (whose values could be forged)."""

    def _documents(self, count, price=10.0):
        return self.env["ps.test.approvable"].with_user(self.requester).create([{
            "name": f"Doc {i}", "line_ids": [Command.create({"quantity": 1.0, "price": price})],
        } for i in range(count)])

    def _refreshes(self, documents):
        Mixin = type(self.env["ps.approval.mixin"])
        with patch.object(Mixin, "_ps_refresh_facts", autospec=True,
                          side_effect=Mixin._ps_refresh_facts) as refresh:
            documents.action_confirm()
        return refresh.call_count

    def test_a_batch_below_threshold_is_decided_once(self):
        documents = self._documents(5).with_user(self.requester)
        self.assertEqual(self._refreshes(documents), 1, "the gate's decision only")
        self.assertEqual(set(documents.mapped("state")), {"confirmed"})
        self.assertFalse(ps_approval_mixin._GATE_PASSED.get(), "nothing outlives the gate")

    def test_gate_cost_is_flat_in_queries(self):
        # the first batch, measured like the others, warms the registry's caches
        batches = [self._documents(n).with_user(self.requester) for n in (1, 5, 40)]
        counts = []
        for documents in batches:
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            documents.action_confirm()
            counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(counts[1], counts[2], "the same statements for 5 and 40 documents")

    def test_a_write_outside_the_gate_still_decides(self):
        document = self._documents(1, price=5000.0).with_user(self.requester)
        with self.assertRaises(UserError):
            call_kw(self.env(user=self.requester)["ps.test.approvable"], "write",
                    [document.ids, {"state": "confirmed"}], {})
        self.assertEqual(document.state, "draft")

    def test_lines_forged_in_the_state_write_are_decided_again(self):
        document = self._documents(1, price=10.0).with_user(self.requester)
        line = document.line_ids
        # one call: lines made expensive and the state moved past the gate
        with self.assertRaises(UserError):
            call_kw(self.env(user=self.requester)["ps.test.approvable"], "write", [
                document.ids,
                {"line_ids": [Command.update(line.id, {"price": 5000.0})], "state": "confirmed"},
            ], {})

    def test_the_gate_passes_only_the_records_it_decided(self):
        cheap = self._documents(1, price=10.0).with_user(self.requester)
        costly = self._documents(1, price=5000.0).with_user(self.requester)

        def confirm_both(records):
            # an action that would also move another document past the gate
            return (records | costly).write({"state": "confirmed"})

        with self.assertRaises(UserError):
            cheap._ps_run_gated("action_confirm", confirm_both, (), {})
        self.assertEqual(costly.state, "draft")
        self.assertFalse(ps_approval_mixin._GATE_PASSED.get(), "reset after an error too")

    def test_a_document_past_the_gate_is_not_gated_again(self):
        document = self._documents(1, price=10.0).with_user(self.requester)
        document.action_confirm()
        Mixin = type(self.env["ps.approval.mixin"])
        with patch.object(Mixin, "_ps_gate", autospec=True, side_effect=Mixin._ps_gate) as gate:
            document.action_confirm()  # as Odoo's wizards confirm a confirmed document again
        gate.assert_not_called()
        self.assertEqual(document.state, "confirmed")
        # past the gate, writing the guarded state still decides on the facts as they are
        self.env.cr.execute(
            "UPDATE ps_test_approvable_line SET price = 5000 WHERE document_id = %s",
            [document.id])
        document.line_ids.invalidate_recordset()
        with self.assertRaises(UserError):
            call_kw(self.env(user=self.requester)["ps.test.approvable"], "write",
                    [document.ids, {"state": "confirmed"}], {})
