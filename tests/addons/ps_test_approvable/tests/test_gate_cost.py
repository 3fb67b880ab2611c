from unittest.mock import patch

from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.ps_base.models import ps_approval_mixin

from .test_declared_document import DeclaredCommon


@tagged("post_install", "-at_install")
class TestGateDecidesOnce(DeclaredCommon):
    """A gated action decides once, on facts refreshed from their sources, for the whole
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
        document.line_ids.sudo().write({"price": 5000.0})
        with self.assertRaises(UserError):
            call_kw(self.env(user=self.requester)["ps.test.approvable"], "write",
                    [document.ids, {"state": "confirmed"}], {})


@tagged("post_install", "-at_install")
class TestFactsWrittenByHand(DeclaredCommon):
    """The gate trusts the computed values the ORM keeps, and recomputes what a user wrote
    by hand over them (ps.fact.taint): forged at creation or later, on the document or on
    its lines, whatever door the value came through."""

    def _rpc(self, model, method, *args, **kwargs):
        return call_kw(self.env(user=self.requester)[model], method, list(args), kwargs)

    def _taints(self, records):
        return self.env["ps.fact.taint"].sudo().search(
            [("res_model", "=", records._name), ("res_id", "in", records.ids)])

    def test_a_line_subtotal_written_over_rpc_is_recomputed_at_the_gate(self):
        document = self._document(quantity=10.0, price=500.0)  # 5,000: above the rule
        line = document.line_ids
        self._rpc("ps.test.approvable.line", "write", line.ids, {"subtotal": 1.0})
        self.assertEqual(document.amount_total, 1.0, "the forged value reached the fact")
        taint = self._taints(line)
        self.assertEqual(taint.field_name, "subtotal")
        self.assertEqual(taint.written_by, self.requester)
        self._rpc("ps.test.approvable", "action_confirm", document.ids)
        self.assertEqual(document.state, "draft")
        self.assertEqual(document.ps_approval_state, "pending")
        self.assertEqual(document.amount_total, 5000.0, "recomputed from the lines")
        self.assertEqual(line.subtotal, 5000.0)
        self.assertFalse(self._taints(line), "forgotten once recomputed")

    def test_values_forged_at_creation_are_recomputed_at_the_gate(self):
        [doc_id] = self._rpc("ps.test.approvable", "create", [{
            "name": "Forged at birth", "amount_total": 1.0,
            "line_ids": [Command.create({"quantity": 10.0, "price": 500.0, "subtotal": 1.0})],
        }])
        document = self.env["ps.test.approvable"].browse(doc_id)
        self.assertTrue(self._taints(document.line_ids) | self._taints(document))
        self._rpc("ps.test.approvable", "action_confirm", document.ids)
        self.assertEqual(document.ps_approval_state, "pending")
        self.assertEqual(document.amount_total, 5000.0)

    def test_values_forged_as_context_defaults_are_recomputed_at_the_gate(self):
        [doc_id] = call_kw(self.env(user=self.requester)["ps.test.approvable"], "create", [[{
            "name": "Forged by default",
            "line_ids": [Command.create({"quantity": 10.0, "price": 500.0})],
        }]], {"context": {"default_subtotal": 1.0, "default_amount_total": 1.0}})
        document = self.env["ps.test.approvable"].browse(doc_id)
        self.assertTrue(self._taints(document.line_ids) | self._taints(document),
                        "a default of the client's context is a value written by hand")
        self._rpc("ps.test.approvable", "action_confirm", document.ids)
        self.assertEqual(document.ps_approval_state, "pending")
        self.assertEqual(document.amount_total, 5000.0)

    def test_a_forged_subtotal_on_a_cheap_document_is_corrected_not_held(self):
        document = self._document(quantity=1.0, price=100.0)
        self._rpc("ps.test.approvable.line", "write", document.line_ids.ids,
                  {"subtotal": 0.0})
        self._rpc("ps.test.approvable", "action_confirm", document.ids)
        self.assertEqual(document.state, "confirmed", "below the threshold once recomputed")
        self.assertEqual(document.amount_total, 100.0)

    def test_the_server_s_own_writes_leave_nothing_to_recompute(self):
        document = self._document(quantity=1.0, price=100.0)
        document.line_ids.sudo().write({"subtotal": 100.0})
        document.line_ids.with_user(self.requester).write({"price": 90.0})
        self.assertEqual(document.amount_total, 90.0, "computed by the ORM")
        self.assertFalse(self._taints(document.line_ids) | self._taints(document))
        Line = type(self.env["ps.test.approvable.line"])
        with patch.object(Line, "_compute_subtotal", autospec=True,
                          side_effect=Line._compute_subtotal) as compute:
            document.with_user(self.requester).action_confirm()
        compute.assert_not_called()
        self.assertEqual(document.state, "confirmed")

    def test_nobody_but_the_server_writes_the_record_of_forged_values(self):
        document = self._document()
        self._rpc("ps.test.approvable.line", "write", document.line_ids.ids, {"subtotal": 1.0})
        taint = self._taints(document.line_ids)
        with self.assertRaises(AccessError):
            call_kw(self.env(user=self.requester)["ps.fact.taint"], "search_read",
                    [[]], {"fields": ["res_model"]})
        with self.assertRaises(AccessError):
            call_kw(self.env(user=self.requester)["ps.fact.taint"], "unlink", [taint.ids], {})
        admin = self.env.ref("base.user_admin")
        with self.assertRaises(AccessError):
            call_kw(self.env(user=admin)["ps.fact.taint"], "unlink", [taint.ids], {})
        self.assertTrue(call_kw(self.env(user=admin)["ps.fact.taint"], "search_read",
                                [[("id", "=", taint.id)]], {"fields": ["field_name"]}))

    def test_the_purge_forgets_records_that_are_gone(self):
        document = self._document()
        self._rpc("ps.test.approvable.line", "write", document.line_ids.ids, {"subtotal": 1.0})
        kept = self._document()
        self._rpc("ps.test.approvable.line", "write", kept.line_ids.ids, {"subtotal": 2.0})
        line_ids = document.line_ids.ids
        document.sudo().unlink()
        self.env["ps.fact.taint"]._cron_purge()
        Taint = self.env["ps.fact.taint"].sudo()
        self.assertFalse(Taint.search([("res_model", "=", "ps.test.approvable.line"),
                                       ("res_id", "in", line_ids)]))
        self.assertTrue(self._taints(kept.line_ids))

    def test_the_gate_costs_one_query_for_written_values(self):
        # without any value written by hand, the facts are not recomputed: the gate reads
        # the table of forged values once
        documents = self.env["ps.test.approvable"].with_user(self.requester).create([{
            "name": f"Doc {i}", "line_ids": [Command.create({"quantity": 1, "price": 10})],
        } for i in range(20)])
        Taint = type(self.env["ps.fact.taint"])
        with patch.object(Taint, "_take", autospec=True, side_effect=Taint._take) as take:
            documents.with_user(self.requester).action_confirm()
        take.assert_not_called()
        self.assertEqual(set(documents.mapped("state")), {"confirmed"})
