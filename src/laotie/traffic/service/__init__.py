"""Traffic use cases: serving feed pages, candidates, actions, the trust policy, tastes, reports."""
