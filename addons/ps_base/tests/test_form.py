from lxml import etree

from odoo.tests import tagged

from .common import PsBaseCommon


def approval_ui(env, model):
    """(approve buttons, status blocks, approvals pages) of the model's form as a user
    gets it."""
    arch = etree.fromstring(env[model].get_views([(False, "form")])["views"]["form"]["arch"])
    return (arch.xpath("//button[@name='action_ps_approve']"),
            arch.xpath("//*[@name='ps_approval_status']"),
            arch.xpath("//page[@name='ps_approvals']"))


@tagged("post_install", "-at_install")
class TestApprovalForm(PsBaseCommon):
    """The approval buttons, status and page come into an approvable form by themselves,
    once."""

    def test_request_form_gets_the_approval_ui_once(self):
        approve, status, page = approval_ui(self.env(user=self.consultant), "ps.request")
        self.assertEqual(len(approve), 1)
        self.assertEqual(len(status), 1)
        self.assertEqual(len(page), 1)
        # no gated action on requests: no "Request Approval" button
        arch = self.env["ps.request"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("action_ps_request_approval", arch)

    def test_form_without_notebook_gets_one(self):
        Request = self.env["ps.request"]
        arch = etree.fromstring("<form><sheet><field name='title'/></sheet></form>")
        Request._ps_inject_approval_ui(arch)
        self.assertTrue(arch.xpath("//sheet/notebook/page[@name='ps_approvals']"))
        self.assertTrue(arch.xpath("//header/button[@name='action_ps_approve']"))
