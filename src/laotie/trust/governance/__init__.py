"""Governance (雷霆计划): violation cases, penalties, appeals, the audit log, live-chat abuse."""
