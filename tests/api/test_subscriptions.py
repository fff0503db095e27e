"""The subscription set on its own: reference counts, the net change per flush, resubscribe after a loss."""

from __future__ import annotations

from airalgo_desktop.api.subscriptions import SubscriptionSet


def test_subscribe_on_zero_to_one_unsubscribe_on_one_to_zero() -> None:
    subs = SubscriptionSet()
    subs.want(["22", "2885"])
    subs.want(["22"])  # a second view
    assert subs.dirty and subs.changes() == (["22", "2885"], []) and not subs.dirty
    subs.unwant(["22"])  # one view still wants it
    assert subs.changes() == ([], []) and "22" in subs
    subs.unwant(["22", "2885"])
    assert subs.changes() == ([], ["22", "2885"])
    assert "22" not in subs and not subs and subs.wanted == set()


def test_changes_are_net_and_in_token_order() -> None:
    subs = SubscriptionSet()
    subs.want(["35013", "22", "3045"])
    subs.unwant(["3045"])  # wanted and unwanted before any flush: never sent
    subs.unwant(["9999"])  # never wanted: nothing happens
    assert subs.changes() == (["22", "35013"], [])
    assert subs.changes() == ([], [])


def test_after_a_lost_server_everything_wanted_is_asked_for_again() -> None:
    subs = SubscriptionSet()
    subs.want(["22", "2885"])
    subs.changes()
    subs.server_lost()
    assert subs.changes() == (["22", "2885"], [])


def test_values_that_are_not_tokens_are_left_out() -> None:
    subs = SubscriptionSet()
    subs.want(["22", "²", "٣", "", None, " 7", "abc"])
    assert subs.wanted == {"22", "7"}  # surrounding spaces are forgiven (parse_token), other digits are not
    subs.unwant(["²"])
    assert subs.wanted == {"22", "7"}


def test_the_live_view_follows_every_change() -> None:
    subs = SubscriptionSet()
    live = subs.live
    subs.want(["22"])
    assert "22" in live and "22" in subs
    subs.unwant(["22"])
    assert "22" not in live and not subs
