"""Staff see check-ins like crisis replies: the console's crisis filter and flags include them."""

import pytest

from console.events import is_crisis

CHECK_IN = {"topic": "safety.check_in", "sources": [], "defer_to_clinician": True, "flags": ["check_in"]}


@pytest.mark.parametrize(
    "custom,flagged",
    [
        (CHECK_IN, True),
        ({"topic": "safety.crisis", "flags": ["crisis"]}, True),
        ({"topic": "safety.emergency"}, True),
        ({"topic": "fallback", "flags": ["check_in"]}, True),
        ({"topic": "tms.overview"}, False),
        ({"topic": "safety.check_in"}, True),
        ({"topic": "safety.medical_advice"}, False),
    ],
)
def test_check_ins_are_flagged_like_crisis_replies(custom, flagged):
    assert is_crisis(custom) is flagged
