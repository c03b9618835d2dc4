"""Fake-order (刷单) rings: detection over the order tables, the operator's queue, decisions."""
