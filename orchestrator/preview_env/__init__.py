"""Preview environments per pull request (`orchestrator preview-env`): env `pr-N`, derived from a base env.

`derive.py` turns the base's stack into the PR env's, `verbs.py` holds `up`, `down`, `list` and `gc`; what the
state store keeps for each is `orchestrator/preview_record.py` (`PreviewEnv`).
"""
