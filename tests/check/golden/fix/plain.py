#!/usr/bin/env python3
"""Module docstring."""

from __future__ import annotations

import os
from stackful import (
    suspend,
)
from stackful import coroutine_fn

VALUE = os.sep


@coroutine_fn
def leaf():
    suspend()


@staticmethod
@coroutine_fn
def odd_but_decorated():
    leaf()


class Worker:
	@coroutine_fn
	def step(self):
		leaf()

	@classmethod
	@coroutine_fn
	def make(cls):
		leaf()
		return cls()


@coroutine_fn
def outer():
    @coroutine_fn
    def inner():
        leaf()
    inner()


def native():
    return 1
