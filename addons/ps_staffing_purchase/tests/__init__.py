from . import test_purchase_gate
