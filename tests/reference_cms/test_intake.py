"""The intake's reading of the channel registry: which channels reach a state through a bureau or NCB."""

from __future__ import annotations

import pytest

from simulators.reference_cms.intake import reached_through_bureau


@pytest.mark.parametrize(("channel", "through_bureau"), [
    ("SIRENE", True),  # the SIRENE bureau, part of the SPOC (Art 15(2))
    ("INTERPOL", True),  # the NCB, likewise
    ("SIENA", False),  # the SPOC itself
    ("OTHER", False),  # a channel outside the network addresses no party
    ("CARRIER-PIGEON", False),  # an unknown channel name is no bureau either, and no error
])
def test_reached_through_bureau_follows_the_channels_state_address(channel: str, through_bureau: bool) -> None:
    assert reached_through_bureau(channel) is through_bureau

