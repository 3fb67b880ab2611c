from . import test_declared_document
from . import test_gate_cost
