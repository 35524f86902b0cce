"""Preview environments per pull request (`orchestrator preview-env`): env `pr-N`, derived from a base env.

`descriptor.py` is what the state store keeps for each (`PreviewEnv`), `derive.py` turns the base's stack into
the PR env's, `verbs.py` holds `up`, `down`, `list` and `gc`.
"""
