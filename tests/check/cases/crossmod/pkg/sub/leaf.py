import stackful as sf


def deep():
    sf.lowlevel.transfer(None)                    # SC101 on deep
