from . import ps_test_approvable
