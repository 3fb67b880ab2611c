"""Helpers for tests that run two transactions at once, each on a real cursor."""
import threading
import time

from odoo.tools import SQL, mute_logger


def wait_until_blocked(case, pid, timeout=20):
    """Wait until the backend ``pid`` waits for a lock; fail ``case`` otherwise."""
    with case.registry.cursor() as cr:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            cr.execute(SQL("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", pid))
            waiting = cr.fetchone()[0] == "Lock"
            cr.rollback()  # pg_stat_activity is read once per transaction
            if waiting:
                return
            time.sleep(0.05)
    case.fail("the second transaction never waited for the first")


def run_blocked_then_commit_first(case, second_cr, second_call, first_cr):
    """Run ``second_call`` in a thread until it waits for a lock ``first_cr`` holds, then
    commit ``first_cr``. Returns the exception ``second_call`` raised, if any."""
    outcome = {}

    def target():
        try:
            second_call()
        except Exception as error:  # pylint: disable=broad-exception-caught
            outcome["error"] = error

    with mute_logger("odoo.sql_db"):
        thread = threading.Thread(target=target)
        thread.start()
        wait_until_blocked(case, second_cr._cnx.get_backend_pid())
        first_cr.commit()
        thread.join(30)
    case.assertFalse(thread.is_alive())
    return outcome.get("error")
