"""Relative imports, one and two levels up."""
from .. import core
from ..core import Channel
from . import leaf


def poll():
    core.wait_event("poll")                       # SC101 on poll


def drain(channel: Channel):
    channel.get()                                 # SC101 on drain


def count(channel: Channel):
    return channel.size()                         # native: no finding


def via_leaf():
    leaf.deep()                                   # SC101 on via_leaf
