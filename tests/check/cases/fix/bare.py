import stackful
def wait(): stackful.suspend()
