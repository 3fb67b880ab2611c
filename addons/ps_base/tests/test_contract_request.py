from odoo.tests import tagged

from .common import PsBaseCommon
from .kit import ApprovableContract


@tagged("post_install", "-at_install")
class TestRequestContract(ApprovableContract, PsBaseCommon):
    """ps.request under the engine's contract (ps_base's test kit)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kit_requester = cls.consultant
        cls.kit_approver = cls.manager_user
        cls.kit_outsider = cls.consultant_2

    def _kit_document(self):
        return self._new_request()

    def _kit_submit(self, document):
        document.action_submit()
