"""pytest configuration shared by the addons' tests and the top-level tests/.

pytest-odoo imports ``odoo.tests`` while it parses the Odoo options, before Odoo's test mode
is switched on; Odoo 18 then logs a misleading ERROR ("Importing test framework, avoid
importing from business modules ..."). Drop exactly that record, nothing else.
"""

import logging


class _DropEarlyTestFrameworkImportError(logging.Filter):
    def filter(self, record):
        return "avoid importing from business modules" not in record.getMessage()


logging.getLogger("odoo.tests.common").addFilter(_DropEarlyTestFrameworkImportError())
