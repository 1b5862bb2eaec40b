/* pystate_315.h -- CPython 3.15 thread-state fields that are per coroutine.
 * Included only through pystate.h (see there for the contract). Everything of 3.14
 * holds (pystate_314.h's notes; the code is pystate_314plus.h); 3.15 adds:
 *  - base_frame: every frame chain of a thread now ends at a sentinel frame embedded in
 *    the thread state (_PyThreadStateImpl.base_frame, owner FRAME_OWNED_BY_INTERPRETER,
 *    previous NULL), and current_frame is that sentinel, not NULL, when no Python code
 *    runs. A coroutine's chain ends at a sentinel of the same kind, kept in stackful's
 *    per-thread state (PyStateThread) rather than at the thread's own: a coroutine can
 *    outlive its thread's state (it is leaked, or collected, after the thread ended),
 *    and its frames must never lead into freed memory. Walkers skip the sentinel as an
 *    incomplete frame, so f_back of a coroutine's first frame is still None.
 *  - jit_exit: the JIT side exit the running trace left for the next one; it belongs to
 *    the code running now, like current_executor (a new coroutine starts with none).
 *  - last_profiled_frame and last_profiled_frame_seq: a remote sampling profiler's
 *    cache anchor (a frame it last saw, kept up to date as frames pop). A switch
 *    replaces the whole chain, so the anchor is dropped (NULL, the sequence bumped) and
 *    the profiler walks the new chain afresh.
 * Per thread, not switched: generator_return_kind (set by the eval loop when a
 * generator frame yields or returns, and read by the generator's send right after,
 * with no switch in between), gil_requested and the PyThreadState_Ensure counters,
 * lazy_imports (PEP 810: placeholders being resolved, per thread), jit_tracer_state
 * (the trace being recorded; the JIT is off by default: see docs/porting.md). */
#define STACKFUL_315_SAVED_FIELDS struct _PyExitData *jit_exit;
#define STACKFUL_315_SAVE(s, ts) ((s)->jit_exit = (ts)->jit_exit)
#define STACKFUL_315_RESTORE(s, ts)                                                    \
    ((ts)->jit_exit = (s)->jit_exit,                                                   \
     (ts)->last_profiled_frame != NULL                                                 \
         ? (void)((ts)->last_profiled_frame = NULL, (ts)->last_profiled_frame_seq++)    \
         : (void)0)
#define STACKFUL_315_INIT(s, ts) ((void)(ts), (s)->jit_exit = NULL)
#define STACKFUL_HAVE_CHAIN_SENTINEL 1
#include "pystate_314plus.h"
