"""Trust: the shop experience score, governance (雷霆计划), fake-order rings, deposits."""
