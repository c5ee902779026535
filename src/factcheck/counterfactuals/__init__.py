"""Counterfactual runs: each claim side's evidence seen to fail when its fact is flipped.

A claim side declares counterfactuals in its claims file (``evidence.<side>.counterfactuals``):
code that makes its fact false as a changed release or a changed world would. ``python -m
factcheck counterfactuals`` (``make counterfactuals``) runs each one through the engine's one
executor, the code injected as a cell before the evidence and the notebook cut after it, and
records in ``data/counterfactuals/<notebook>.json`` which of the side's cells failed and with what:

    results.py   the result types and their files (schemas/counterfactuals.schema.json)
    runner.py    what needs running (missing or stale), the tasks, judging each executed copy
    cli.py       python -m factcheck counterfactuals [--shard i/n] [--claim ID] [--force]

A counterfactual the evidence survives is a defect of the evidence, not of the run; the tests
fail on it, on a side without one, and on a stale result.
"""
