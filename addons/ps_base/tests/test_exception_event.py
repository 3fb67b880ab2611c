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
