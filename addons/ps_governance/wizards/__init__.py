from . import ps_exception_bulk_wizard
from . import ps_audit_export_wizard
