from . import test_declared_document
