from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import PsBaseCommon


@tagged("post_install", "-at_install")
class TestExceptionQueue(PsBaseCommon):

    def _vals(self, key="k1", **vals):
        return {"name": "Timesheet missing", "key": key, "kind": "missing_time",
                "source": "test sweep", **vals}

    def test_raising_twice_counts_instead_of_duplicating(self):
        Exc = self.env["ps.exception"].with_user(self.pm)
        first = Exc._raise_exceptions([self._vals(), self._vals("k2")])
        self.assertEqual(len(first), 2)
        again = Exc._raise_exceptions([self._vals(details="still missing")])
        self.assertEqual(again, first.filtered(lambda e: e.key == "k1"))
        self.assertEqual(again.attempts, 2)
        self.assertEqual(again.details, "still missing")
        self.assertEqual(self.env["ps.exception"].search_count([("key", "=", "k1")]), 1)
        # once resolved, the same problem found again is a new exception
        again.sudo().write({"resolution": "logged", "state": "resolved"})
        third = Exc._raise_exceptions([self._vals()])
        self.assertNotEqual(third, again)

    def test_found_again_and_again_it_turns_critical(self):
        self.env["ir.config_parameter"].sudo().set_param("ps_base.exception_max_attempts", 3)
        Exc = self.env["ps.exception"].with_user(self.pm)
        exc = Exc._raise_exceptions([self._vals(severity="warning")])
        Exc._raise_exceptions([self._vals(severity="warning")])
        self.assertEqual((exc.attempts, exc.severity), (2, "warning"))
        Exc._raise_exceptions([self._vals(severity="warning")])
        self.assertEqual((exc.attempts, exc.severity), (3, "critical"))

    def test_owner_works_the_exception(self):
        exc = self.env["ps.exception"]._raise_exceptions([self._vals()])
        mine = exc.with_user(self.pm)
        mine.action_take()
        self.assertEqual(exc.owner_id, self.pm)
        self.assertEqual(exc.state, "in_progress")
        with self.assertRaisesRegex(UserError, "Resolution"):
            mine.action_resolve()
        mine.resolution = "Consultant logged the hours"
        mine.action_resolve()
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(exc.resolved_by_id, self.pm)
        # another consultant sees neither this one nor can create exceptions by hand
        with self.assertRaises(AccessError):
            exc.with_user(self.consultant).read(["name"])
        with self.assertRaises(AccessError):
            self.env["ps.exception"].with_user(self.consultant).create(self._vals("k9"))

    def test_consultant_takes_an_unassigned_exception_before_closing_it(self):
        exc = self.env["ps.exception"]._raise_exceptions([self._vals()])
        theirs = exc.with_user(self.consultant)
        self.assertFalse(theirs.ps_can_act)
        # unassigned: visible, but neither resolved, ignored nor edited before taking it
        for action in ("action_ignore", "action_resolve"):
            with self.assertRaises(AccessError):
                getattr(theirs, action)()
        with self.assertRaises(AccessError):
            theirs.write({"resolution": "done"})
        with self.assertRaises(AccessError):
            theirs.write({"state": "ignored"})
        self.assertEqual(exc.state, "new")
        theirs.action_take()
        self.assertEqual((exc.owner_id, exc.state), (self.consultant, "in_progress"))
        self.assertTrue(theirs.ps_can_act)
        theirs.write({"resolution": "Hours logged"})
        theirs.action_resolve()
        self.assertEqual((exc.state, exc.resolved_by_id), ("resolved", self.consultant))
        with self.assertRaises(UserError):
            theirs.action_take()  # closed
        theirs.action_reopen()
        self.assertEqual(exc.state, "new")
        theirs.action_ignore()
        self.assertEqual(exc.state, "ignored")

    def test_consultant_cannot_touch_what_the_engine_or_administrators_keep(self):
        exc = self.env["ps.exception"]._raise_exceptions([self._vals()])
        theirs = exc.with_user(self.consultant)
        theirs.action_take()
        # even on their own exception, over RPC, whatever the form shows
        for vals in ({"state": "resolved"}, {"owner_id": self.consultant_2.id},
                     {"owner_id": False}, {"severity": "info"}, {"attempts": 0},
                     {"resolved_by_id": self.pm.id}, {"details": "nothing to see"},
                     {"resolution": "x", "state": "ignored"}):
            with self.assertRaises(AccessError, msg=vals):
                theirs.write(vals)
        self.assertEqual((exc.state, exc.owner_id, exc.severity),
                         ("in_progress", self.consultant, "warning"))
        with self.assertRaises(AccessError):
            theirs.unlink()
        with self.assertRaises(AccessError):
            theirs.copy()

    def test_consultant_cannot_act_on_someone_elses_exception(self):
        exc = self.env["ps.exception"]._raise_exceptions([self._vals()])
        exc.with_user(self.consultant_2).action_take()
        other = exc.with_user(self.consultant)
        for action in ("action_take", "action_ignore", "action_resolve", "action_reopen",
                       "action_open_record"):
            with self.assertRaises(AccessError, msg=action):
                getattr(other, action)()
        with self.assertRaises(AccessError):
            other.write({"resolution": "mine now"})
        self.assertEqual((exc.owner_id, exc.state), (self.consultant_2, "in_progress"))
        # closed unassigned by an administrator: the consultant cannot reopen it either
        closed = self.env["ps.exception"]._raise_exceptions([self._vals("k2")])
        closed.with_user(self.admin_ps).action_ignore()
        with self.assertRaises(AccessError):
            closed.with_user(self.consultant).action_reopen()
        self.assertEqual(closed.state, "ignored")

    def test_administrator_acts_on_any_exception(self):
        Exc = self.env["ps.exception"]
        unassigned, owned = Exc._raise_exceptions([self._vals("k1"), self._vals("k2")])
        owned.with_user(self.consultant).action_take()
        admin = self.admin_ps
        unassigned.with_user(admin).action_ignore()
        self.assertEqual((unassigned.state, unassigned.resolved_by_id), ("ignored", admin))
        owned.with_user(admin).write({"resolution": "Fixed centrally", "severity": "info"})
        owned.with_user(admin).action_resolve()
        self.assertEqual((owned.state, owned.owner_id), ("resolved", self.consultant))
        owned.with_user(admin).action_reopen()
        owned.with_user(admin).write({"owner_id": self.consultant_2.id})
        self.assertEqual(owned.owner_id, self.consultant_2)

    def test_reopening_a_problem_raised_again_is_refused(self):
        exc = self.env["ps.exception"]._raise_exceptions([self._vals()])
        exc.with_user(self.consultant).action_take()
        exc.with_user(self.consultant).action_ignore()
        again = self.env["ps.exception"]._raise_exceptions([self._vals()])
        self.assertNotEqual(again, exc)
        with self.assertRaises(UserError):
            exc.with_user(self.consultant).action_reopen()

    def test_outbox_row_lives_and_dies_with_its_transaction(self):
        Event = self.env["ps.event"]
        request = self._new_request(amount=10)
        with self.assertRaises(ValueError), self.env.cr.savepoint():
            Event._emit("request.test", request, {request.id: {"x": 1}})
            self.assertEqual(Event.search_count([("event_type", "=", "request.test")]), 1)
            raise ValueError("roll back")
        self.env.invalidate_all()
        self.assertEqual(Event.search_count([("event_type", "=", "request.test")]), 0)
        event = Event.with_user(self.consultant)._emit("request.test", request,
                                                       {request.id: {"x": 1}})
        self.assertEqual(event.sudo().state, "pending")
        self.assertIn('"x": 1', event.sudo().payload)
        self.assertTrue(event.sudo().idempotency_key)
