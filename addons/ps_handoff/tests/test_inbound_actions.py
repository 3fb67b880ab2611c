from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import HandoffCommon

SIGNED_URL = "https://sign.example.com/envelopes/ENV-42/document.pdf"


@tagged("post_install", "-at_install")
class TestInboundActions(HandoffCommon):
    """The inbound action "mark a document signed", called as the technical user an
    inbound webhook caller runs as: a PS project manager, nothing more."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bot = new_test_user(cls.env, login="ho_esign_bot", name="E-signature Bot",
                                groups="ps_base.group_ps_project_manager")
        cls.order, cls.handoff = cls._confirmed()
        cls.handoff.with_user(cls.pm).write({
            "scope_summary": "Finance and sales modules", "budget": 40000.0,
            "date_start": "2026-12-01"})

    def _params(self, **overrides):
        params = {"handoff": self.handoff.name, "document": "signed sow or contract",
                  "signature_url": SIGNED_URL, "signature_ref": "ENV-42",
                  "signer": "Jane Client"}
        params.update(overrides)
        return {key: value for key, value in params.items() if value is not None}

    def _mark(self, user=None, **overrides):
        return self.env["ps.handoff"].with_user(user or self.bot)._ps_inbound_mark_signed(
            self._params(**overrides))

    def test_method_is_offered_to_inbound_webhooks(self):
        self.assertIn("_ps_inbound_mark_signed", type(self.env["ps.handoff"])._ps_inbound_actions)

    def test_signature_provides_the_document_and_completes_the_handoff(self):
        self.assertEqual((self.handoff.state, self.handoff.missing_count), ("open", 1))
        result = self._mark()
        self.assertEqual(result["handoff"], self.handoff.name)
        self.assertEqual((result["state"], result["missing"]), ("complete", 0))
        self.assertEqual(self.handoff.state, "complete")
        document = self.handoff.document_ids
        self.assertEqual((document.id, document.document_type_id), (result["document_id"],
                                                                    self.sow))
        attachment = document.attachment_id
        self.assertEqual((attachment.type, attachment.url), ("url", SIGNED_URL))
        self.assertIn("Jane Client", attachment.description)
        self.assertIn("ENV-42", attachment.description)
        self.assertEqual(attachment.create_uid, self.bot)
        log = self.env["ps.audit.log"].search([
            ("res_model", "=", "ps.handoff"), ("res_id", "=", self.handoff.id),
            ("event_type", "=", "event")])
        self.assertEqual(len(log), 1)
        self.assertEqual(log.user_id, self.bot)
        self.assertIn("Signed SOW or contract", log.description)
        self.assertIn("Jane Client", log.new_value)
        self.assertIn(SIGNED_URL, log.new_value)
        message = self.handoff.message_ids.filtered(lambda m: "Jane Client" in (m.body or ""))
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.bot.partner_id)
        self.assertIn(SIGNED_URL, message.body)

    def test_found_by_order_number_with_the_signature_time_in_utc(self):
        result = self._mark(handoff=None, order=self.order.name,
                            signed_at="2026-11-20T10:30:00+02:00")
        self.assertEqual(result["handoff_id"], self.handoff.id)
        self.assertIn("2026-11-20 08:30:00",
                      self.handoff.document_ids.attachment_id.description)

    def test_an_empty_document_line_of_the_type_is_completed(self):
        line = self.env["ps.handoff.document"].with_user(self.pm).create(
            {"handoff_id": self.handoff.id, "document_type_id": self.sow.id})
        result = self._mark()
        self.assertEqual(result["document_id"], line.id)
        self.assertEqual(len(self.handoff.document_ids), 1)
        self.assertEqual(line.attachment_id.url, SIGNED_URL)

    def test_bad_payloads_say_what_to_fix_and_write_nothing(self):
        po_type = self.env.ref("ps_handoff.document_type_po")
        cases = [
            ({"handoff": None}, "Name the handoff"),
            ({"handoff": "HO-NOPE"}, "No handoff HO-NOPE"),
            ({"handoff": None, "handoff_id": "x"}, "'handoff_id' must be a number"),
            ({"document": None}, "Name the signed document"),
            ({"document": po_type.name}, "requires: Signed SOW or contract"),
            ({"document": None, "document_type_id": po_type.id}, "requires no document"),
            ({"signature_url": None}, "Give 'signature_url'"),
            ({"signature_url": "javascript:alert(1)"}, "http:// or https://"),
            ({"signature_ref": ["not", "text"]}, "'signature_ref' must be text"),
            ({"signer": "  "}, "Say who signed"),
            ({"signed_at": "yesterday"}, "'signed_at' must be a date and time"),
            ({"signed_at": "2999-01-01T00:00:00Z"}, "cannot be in the future"),
        ]
        for overrides, message in cases:
            with self.subTest(overrides=overrides), \
                    self.assertRaisesRegex(UserError, message):
                self._mark(**overrides)
        # several problems at once are all reported
        with self.assertRaises(UserError) as raised:
            self._mark(signer=None, signature_url="ftp://x")
        self.assertIn("Say who signed", str(raised.exception))
        self.assertIn("http:// or https://", str(raised.exception))
        with self.assertRaisesRegex(UserError, "JSON object"):
            self.env["ps.handoff"].with_user(self.bot)._ps_inbound_mark_signed(["x"])
        self.assertFalse(self.handoff.document_ids)
        self.assertFalse(self.env["ir.attachment"].search(
            [("res_model", "=", "ps.handoff"), ("res_id", "=", self.handoff.id)]))
        self.assertEqual(self.handoff.state, "open")

    def test_a_provided_document_is_not_replaced(self):
        self._mark()
        with self.assertRaisesRegex(UserError, "already provided"):
            self._mark(signature_url="https://sign.example.com/other.pdf")
        self.assertEqual(self.handoff.document_ids.attachment_id.url, SIGNED_URL)

    def test_the_callers_rights_decide(self):
        with self.assertRaises(AccessError):
            self._mark(user=self.consultant)
        self.assertFalse(self.handoff.document_ids)
        other = self.env["res.company"].create({"name": "Other firm"})
        outsider = new_test_user(self.env, login="ho_esign_other",
                                 groups="ps_base.group_ps_project_manager",
                                 company_id=other.id, company_ids=[other.id])
        with self.assertRaisesRegex(UserError, "No handoff"):
            self._mark(user=outsider)
