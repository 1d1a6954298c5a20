#!/usr/bin/python3
"""The main scenarios again against the ASan/UBSan build (env WSINETD_ASAN): each selected
test file must pass with WSINETD=$WSINETD_ASAN, and no server/handler stderr may contain a
sanitizer report ("ERROR: AddressSanitizer", "runtime error:"). LeakSanitizer runs
in a separate test (no_leaks) on accepted and refused connections."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wslib  # noqa
from wslib import *  # noqa

ASAN = os.environ.get("WSINETD_ASAN")

# file → tests to run (None: all). Backpressure is left out: ASan's shadow memory makes an
# RSS bound meaningless; keepalive timing tests are kept short.
SUBSET = [
    ("t_01_cli.py", "usage_errors,both_option_forms,option_value_form_applies,config_file"),
    ("t_05_ways_in.py", None),
    ("t_10_handshake.py", "accepted,malformed_400,method_405,version_426,plain_get_426,limits_431,"
                          "byte_at_a_time,first_frame_in_request_write,exit_status_pipes_and_socketpair"),
    ("t_11_subprotocol.py", None),
    ("t_20_modes.py", None),
    ("t_30_ending.py", "exit_codes_to_close_codes,all_output_before_close,ladder_on_client_vanish,"
                       "grandchild_dies,client_close_codes"),
    ("t_35_protocol.py", "ping_pong,unmasked_client_frame_1002,bad_utf8_1007,close_reason_utf8,"
                         "max_message_1009,fragmentation_and_interleaved_control,framing_violations_1002"),
    ("t_40_env.py", None),
    ("t_55_logging.py", "one_access_line_per_connection"),
    ("t_60_listener.py", None),
    ("t_70_handoff.py", None),
]

ERR_RE = re.compile(r"ERROR: AddressSanitizer|runtime error:")


def run_file(name, only, logdir, asan_options):
    env = dict(os.environ)
    env["WSINETD"] = ASAN
    env["WSLIB_LOG_DIR"] = logdir
    env["ASAN_OPTIONS"] = asan_options
    env["UBSAN_OPTIONS"] = env.get("UBSAN_OPTIONS", "print_stacktrace=1")
    env["WSLIB_FILE_TIMEOUT"] = "120"
    env.pop("WSLIB_ONLY", None)
    if only:
        env["WSLIB_ONLY"] = only
    p = subprocess.Popen([os.path.join(HERE, name)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=env, start_new_session=True)
    wslib._started.append(p)
    try:
        out, _ = p.communicate(timeout=130)
    except subprocess.TimeoutExpired:
        kill_pid(p.pid)
        out, _ = p.communicate()
    return p.returncode, out.decode(errors="replace")


def scan(logdir, pattern):
    hits = []
    for f in sorted(os.listdir(logdir)):
        text = read_text(os.path.join(logdir, f))
        m = pattern.search(text)
        if m:
            start = max(0, m.start() - 200)
            hits.append("%s:\n%s" % (f, text[start:start + 2500]))
    return hits


@test
def subset_under_asan():
    logdir = tmpdir()
    opts = os.environ.get("ASAN_OPTIONS") or "detect_leaks=0:abort_on_error=0:halt_on_error=1"
    for name, only in SUBSET:
        sub = os.path.join(logdir, name)
        os.makedirs(sub)
        rc, out = run_file(name, only, sub, opts)
        fails = [l for l in out.splitlines() if l.startswith("not ok") or l.startswith("Bail out")]
        plan = re.search(r"^1\.\.(\d+)", out, re.M)
        T.ok(rc == 0 and not fails and plan and int(plan.group(1)) > 0,
             "%s passes with the ASan build (%s assertions)" % (name, plan.group(1) if plan else "?"),
             "rc=%r\n%s" % (rc, "\n".join(fails[:30]) or out[-2000:]))
        hits = scan(sub, ERR_RE)
        T.ok(not hits, "%s: no AddressSanitizer/UBSan report in any server stderr" % name,
             "\n".join(hits[:3]))


@test
def no_leaks():
    # LeakSanitizer on typical connections: accepted and refused ones, and a clean close.
    logdir = tmpdir()
    rc, out = run_file("t_10_handshake.py", "accepted,malformed_400,plain_get_426", logdir,
                       "detect_leaks=1:halt_on_error=1")
    hits = scan(logdir, re.compile(r"ERROR: LeakSanitizer"))
    T.ok(rc == 0, "no_leaks: the handshake scenarios pass with leak detection on",
         out[-2000:])
    T.ok(not hits, "no_leaks: no LeakSanitizer report on accepted/refused connections",
         "\n".join(hits[:2]))


if __name__ == "__main__":
    if not ASAN:
        print("1..0 # SKIP WSINETD_ASAN not set")
        sys.exit(0)
    if not os.access(ASAN, os.X_OK):
        print("1..1\nnot ok 1 - WSINETD_ASAN=%s is not an executable" % ASAN)
        sys.exit(1)
    sys.exit(main())
