"""Absolute imports of the package, aliased and not."""
import pkg
import pkg.sub.helpers as h
from pkg import wait


def run_all():
    h.poll()                                      # SC101 on run_all


def use_reexport():
    wait("x")                                     # SC101 on use_reexport


def use_package_attribute():
    return pkg.Channel().get()                    # SC101


def native_only():
    return h.count(pkg.Channel())
