"""No imports at all, and no newline at the end."""


def uses_other_module():
    import stackful
    stackful.suspend()