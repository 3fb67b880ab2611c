from unittest.mock import patch

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.ps_handoff.tests.common import HandoffCommon


@tagged("post_install", "-at_install")
class TestHandoffToStaffing(HandoffCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        skill_type = cls.env["hr.skill.type"].create({
            "name": "Handoff bridge languages",
            "skill_ids": [Command.create({"name": "Python (bridge)"})],
            "skill_level_ids": [Command.create({"name": "Junior", "level_progress": 30}),
                                Command.create({"name": "Senior", "level_progress": 80,
                                                "default_level": True})],
        })
        cls.python = skill_type.skill_ids

    def _requests(self, handoff):
        return self.env["ps.staffing.request"].sudo().search([
            ("source_model", "=", "ps.handoff.staffing"),
            ("source_id", "in", handoff.staffing_line_ids.ids)])

    def test_complete_handoff_asks_for_staff_once(self):
        _order, handoff = self._confirmed()
        handoff.with_user(self.pm).write({"staffing_line_ids": [
            Command.create({"role": "Developer", "hours": 240.0,
                            "skills": "Python (bridge), Klingon",
                            "date_from": "2027-01-04", "date_to": "2027-02-28"}),
            Command.create({"role": "Functional consultant", "hours": 100.0}),
        ]})
        self.assertFalse(self._requests(handoff), "nothing before the handoff is complete")
        self._complete(handoff)
        self.assertEqual(handoff.state, "complete")
        requests = self._requests(handoff)
        self.assertEqual(sorted(requests.mapped("role")), ["Developer", "Functional consultant"])
        self.assertEqual(set(requests.mapped("state")), {"draft"})
        self.assertEqual(requests.project_id, handoff.project_id)

        developer = requests.filtered(lambda r: r.role == "Developer")
        self.assertEqual(str(developer.date_start), "2027-01-04")
        self.assertEqual(str(developer.date_end), "2027-02-28")
        self.assertEqual(developer.hours_per_week, 30.0, "240 hours over 8 weeks")
        self.assertEqual(developer.skill_line_ids.skill_id, self.python)
        self.assertIn("Klingon", developer.note, "an unknown skill is kept in the note")

        consultant = requests.filtered(lambda r: r.role == "Functional consultant")
        # no dates on the assumption: the handoff's start (2026-12-01), 100 h at 40 h/week
        self.assertEqual(str(consultant.date_start), "2026-12-01")
        self.assertEqual((consultant.date_end - consultant.date_start).days, 3 * 7 - 1)

        handoff._ps_staffing_needs()
        self.assertEqual(self._requests(handoff), requests, "never twice")

    def test_a_request_that_cannot_be_made_never_stops_the_handoff(self):
        _order, handoff = self._confirmed()
        handoff.with_user(self.pm).write({"staffing_line_ids": [
            Command.create({"role": "Architect", "hours": 80.0})]})
        Request = type(self.env["ps.staffing.request"])
        with patch.object(Request, "_ps_create_from_needs",
                          side_effect=ValidationError("No such project")):
            self._complete(handoff)
        self.assertEqual(handoff.state, "complete")
        self.assertFalse(self._requests(handoff))
        exception = self.env["ps.exception"].sudo().search([
            ("key", "=", f"handoff-staffing:{handoff.id}")])
        self.assertEqual(exception.kind, "staffing_request_failed")
        self.assertIn("No such project", exception.details)
