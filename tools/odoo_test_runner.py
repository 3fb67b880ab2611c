"""Odoo's command line, with the at_install tests of the selected modules run after the WHOLE
registry is loaded, beside the post_install ones (used by tools/run_odoo_tests.sh).

Run on a database where the suite is already installed, plain `odoo --test-tags /sale` runs
sale's at_install tests while the registry is being loaded, at sale's place in the load order:
before ps_approvals and the other addons above sale, whose Python code is then absent although
their columns, views and data are in the database. That measures neither Odoo alone nor Odoo
with the suite. Here make_suite returns no test at install position and both kinds at post
position, so every selected test runs with the suite's code loaded, as a user meets it.

Usage: python3 tools/odoo_test_runner.py <odoo server options> (as python3 -m odoo)
"""

import sys

from odoo.tools import config

# The options first, so that importing the test framework happens in test mode.
config._parse_config(sys.argv[1:])

from odoo.cli.command import main  # noqa: E402
from odoo.tests import loader  # noqa: E402
from odoo.tests.suite import OdooSuite  # noqa: E402

_make_suite = loader.make_suite


def make_suite(module_names, position="at_install"):
    if position == "at_install":
        return OdooSuite([])
    tests = list(_make_suite(module_names, "at_install")) + list(
        _make_suite(module_names, "post_install")
    )
    unique = list({test.id(): test for test in tests}.values())
    return OdooSuite(sorted(unique, key=lambda test: test.test_sequence))


loader.make_suite = make_suite

if __name__ == "__main__":
    main()
