#!/usr/bin/env python3
"""Module docstring."""

from __future__ import annotations

import os
from stackful import (
    suspend,
)

VALUE = os.sep


def leaf():
    suspend()


@staticmethod
def odd_but_decorated():
    leaf()


class Worker:
	def step(self):
		leaf()

	@classmethod
	def make(cls):
		leaf()
		return cls()


def outer():
    def inner():
        leaf()
    inner()


def native():
    return 1
