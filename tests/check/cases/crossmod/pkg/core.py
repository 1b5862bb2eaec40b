from stackful import coroutine_fn, suspend


@coroutine_fn
def wait_event(name):
    return suspend(name)


class Channel:
    @coroutine_fn
    def get(self):
        return wait_event("item")

    def size(self):
        return 0
