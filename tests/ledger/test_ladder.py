"""One ladder policy: a plan's event, its aggregate, the read model's JSON column and
the scheduler all read the same :class:`~ledger.ladder.LadderPolicy`."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from ledger.errors import ConfigurationError
from ledger.ladder import LadderPolicy


def test_a_plan_without_a_ladder_of_its_own_has_the_defaults() -> None:
    assert LadderPolicy.from_recorded(None) == LadderPolicy()
    assert LadderPolicy().as_dict() == {
        "remind_before": 3, "urge_after": 1, "escalate_after": 5, "escalate_after_urges": None,
    }


def test_the_recorded_forms_read_back_as_the_policy_written() -> None:
    policy = LadderPolicy(remind_before=5, urge_after=2, escalate_after=4,
                          escalate_after_urges=2)
    assert LadderPolicy.from_recorded(policy.as_dict()) == policy  # the aggregate's dict
    assert LadderPolicy.from_recorded(json.dumps(policy.as_dict())) == policy  # rm column
    assert LadderPolicy.from_event(SimpleNamespace(**policy.as_dict())) == policy


def test_a_changed_policy_is_checked_again() -> None:
    policy = LadderPolicy().changed(remind_before=1)
    assert (policy.remind_before, policy.urge_after) == (1, 1)
    with pytest.raises(ConfigurationError):
        policy.changed(escalate_after=0)
    with pytest.raises(ConfigurationError):
        policy.changed(escalate_after_urges=21)
