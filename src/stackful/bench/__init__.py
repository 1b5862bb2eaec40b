"""stackful's benchmarks: ``python -m stackful.bench``.

Principles: every number compares stackful with its peers (generators, greenlet, a
plain call) measured in the same process run, interleaved, so that ratios survive a
noisy shared machine; each number is the median of repeats, printed with its spread;
nothing here is a test and nothing asserts a speed.
"""
