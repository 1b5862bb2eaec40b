"""CoroCheck's subtle cases."""
import stackful
from stackful import coroutine_fn


# 1. A function whose only cooperative callee is spuriously annotated:
#    `looks_cooperative` is reported as spurious (SC102); `caller_of_spurious`
#    is NOT reported as missing its annotation, because inference follows
#    what functions do, not what they claim.
@coroutine_fn
def looks_cooperative():
    return 42


def caller_of_spurious():
    return looks_cooperative()


# 2. An annotated function whose callee is missing its annotation:
#    `annotated_caller` is right (not spurious: its callee may suspend), and
#    the finding (SC101) is on the callee `unannotated_callee`.
def unannotated_callee():
    stackful.suspend()


@coroutine_fn
def annotated_caller():
    unannotated_callee()


# 3. A function whose reference is taken is not spurious: it may be called
#    through the reference, so its annotation is trusted.  A caller of it is
#    then cooperative too.
@coroutine_fn
def callback():
    return None


HANDLERS = {"cb": callback}


def uses_callback():
    callback()                                    # SC101: trusts callback's annotation


# 3b. A spuriously annotated function annotated only because its caller is:
#     annotating the caller does not make the callee cooperative.
@coroutine_fn
def annotated_but_native_chain():
    return looks_cooperative()
