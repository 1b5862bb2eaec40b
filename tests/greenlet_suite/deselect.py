"""The tests of greenlet's suite that are not run against stackful.compat.greenlet, each
with the reason (docs/compat.md repeats the list). Keys are paths under greenlet/tests/:
a whole module, or one test."""

_G = "test_greenlet.py::"
_L = "test_leaks.py::TestLeaks::"
_T = "test_tracing.py::TestPythonTracing::"
_PROFILE = ("switch is a Python function here: sys.setprofile sees its call/return "
            "events where greenlet's C switch shows one c_call")

DESELECTED: dict[str, str] = {
    "test_cpp.py": "greenlet's C++ exceptions and C API (_test_extension_cpp)",
    "test_version.py::VersionTests::test_version":
        "greenlet's build: compares the version of the setup.py above the tests, which is "
        "the enclosing project's when the venv lies inside a checkout (stackful's)",
    "test_extension_interface.py": "greenlet's C API (_C_API, _test_extension)",
    _G + "TestGreenlet::test_get_stack_with_nested_c_calls":
        "needs greenlet's C++ test extension (_test_extension_cpp)",
    _G + "TestBrokenGreenlets::test_failed_to_initialstub":
        "greenlet's test-only UnswitchableGreenlet (its C stack switch made to fail)",
    _G + "TestBrokenGreenlets::test_failed_to_switch_into_running":
        "greenlet's test-only UnswitchableGreenlet (its C stack switch made to fail)",
    _G + "TestBrokenGreenlets::test_failed_to_slp_switch_into_running":
        "greenlet's slp_switch failure injection (its C internals)",
    _G + "TestBrokenGreenlets::test_reentrant_switch_run_callable_has_del":
        "the run callable is released in the origin before the first switch (greenlet "
        "releases it in the new greenlet, before run starts)",
    _G + "TestBrokenGreenlets::test_reentrant_switch_three_greenlets2":
        "the first switch into an unstarted greenlet is traced in the origin (greenlet "
        "traces it in the new greenlet, so a tracer that switches there differs)",
    "test_interpreter_shutdown.py::TestInterpreterShutdown::"
    "test_api_getcurrent_no_system_error_at_module_gc_time":
        "imports greenlet's C test extension (_test_extension)",
    "test_interpreter_shutdown.py::TestInterpreterShutdown::"
    "test_switch_no_error_at_module_gc_time":
        "imports greenlet's C test extension (_test_extension)",
    "test_greenlet_trash.py::TestTrashCanReEnter::test_it":
        "greenlet's C internals (get_tstate_trash_delete_nesting of its C++ thread state)",
    "test_stack_saved.py::Test::test_stack_saved":
        "stackful keeps a coroutine's stack in place while no other needs its share "
        "stack: nothing is saved, _stack_saved is 0",
    _L + "test_issue251_killing_cross_thread_leaks_list":
        "greenlet's C internals (_greenlet.set_thread_local, its deferred-deletion list)",
    _L + "test_issue251_with_cleanup_disabled":
        "greenlet's C internals (enable_optional_cleanup, set_thread_local)",
    _L + "test_issue251_issue252_need_to_collect_in_background":
        "greenlet's C internals (_greenlet.set_thread_local, its deferred-deletion list)",
    _L + "test_issue251_issue252_need_to_collect_in_background_cleanup_disabled":
        "greenlet's C internals (enable_optional_cleanup, set_thread_local)",
    _L + "test_issue251_issue252_explicit_reference_not_collectable":
        "greenlet's C internals (_greenlet.set_thread_local, its deferred-deletion list)",
    _T + "test_trace_events_into_greenlet_func_already_set": _PROFILE,
    _T + "test_trace_events_into_greenlet_subclass_already_set": _PROFILE,
    _T + "test_trace_events_from_greenlet_func_sets_profiler": _PROFILE,
    _T + "test_trace_events_from_greenlet_subclass_sets_profiler": _PROFILE,
    _T + "test_trace_events_multiple_greenlets_switching": _PROFILE,
    _T + "test_trace_events_multiple_greenlets_switching_siblings": _PROFILE,
}
