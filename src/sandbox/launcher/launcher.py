# The sandbox's launcher: the container's command (python3 -u -c <this file>).
#
# It forks at once, and the child makes itself ready to be the program's process. The child
# reads the program from standard input, framed as `<byte length> <time limit in ms>\n<source>`
# and then `<token><stdin>` (launcher.ts, frameProgram): exactly the header and the source, then
# it hands the rest of stdin to the parent, writes the source to /tmp/main.py inside the
# container, marks the start with one byte (0x06) on stdout and runs the program as
# `python3 -u /tmp/main.py` would: as __main__, with that file name, argv, sys.path[0], loader
# and exit status, and tracebacks that do not show the launcher. It runs in the launcher's own,
# already started and already forked interpreter (a pooled container's launcher has started
# before the program arrives), so the program waits for neither an interpreter start nor a fork.
#
# The parent stays out of the program's reach and reports how it ended: it reads the end token
# only once the child has read the source and dropped the launcher's stdin (so the token is never
# in the program's memory), is not dumpable (so the program, which runs as the same user, cannot
# read the parent's memory or descriptors through /proc; ptrace is denied by the seccomp profile),
# relays the program's stdin through a pipe, and once the child has exited writes the end report
# of program-end.ts, with the child's real wait status, on stdout and stderr. It also enforces the
# time limit, to the millisecond: at the limit it kills every process of the sandbox's user
# (kill(-1)) and reports the ending as `time` (the service's own kill of the whole container stays
# as the backstop). With the report on both streams all the program's output is in, so the service
# need not wait for the engine. The report follows the child's whole exit, C stdio buffers flushed
# at exit included.
#
# Node.js and Ruby (`prestart`): the child becomes their interpreter at once, waiting for a byte
# on descriptor 3; the parent reads the program, writes its files and gives that byte.
import atexit, base64, builtins, ctypes, importlib.machinery, io, json, os, signal, stat, subprocess, sys, threading, time, types

TOKEN_BYTES = 32
# In a sandbox (the container's command passes --sandbox) the launcher is alone with the
# program's processes, under a user of their own: at the time limit kill(-1) reaches every one of
# them, however they detached. Anywhere else (the unit tests run it on a host) that would kill
# all of the user's processes, so it kills the program's process group only.
IN_SANDBOX = "--sandbox" in sys.argv[1:]
# How to run a program that is not Python (runtime-catalogue.ts, launcherCommand): the source
# file's name, the compiler's argv and limit if it has one, and the argv that runs it (or the
# argv of an interpreter started before the program arrives, which runs it on a go). Without
# it, the program is Python and runs in this interpreter.
LAUNCH = json.loads(sys.argv[sys.argv.index("--launch") + 1]) if "--launch" in sys.argv else None
PRESTART = LAUNCH is not None and bool(LAUNCH.get("prestart"))
WORKDIR = "/tmp"
REPLACED_STREAMS = []
PR_SET_DUMPABLE = 4
libc = ctypes.CDLL(None, use_errno=True)


def read_exactly(count):
    chunks = []
    while count:
        chunk = os.read(0, min(count, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class FullWriter(io.FileIO):
    """A raw stdout/stderr that writes everything it is given. A pipe may take only part of a
    large write (gVisor does this at 64 KiB); unbuffered text streams (python3 -u) would then
    drop the rest without an error."""

    def write(self, data):
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            done += super().write(view[done:])
        return done


def become_program():
    """In the child, before the program arrives: everything that makes this process the
    program's and does not depend on the program, so that a run does not wait for it."""
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # the program's own process is an ordinary one
    # The interpreter's own streams own fds 1 and 2: kept alive, so they never close them.
    REPLACED_STREAMS.extend((sys.stdout, sys.stderr))
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(
        FullWriter(1, "w", closefd=False), encoding="utf-8", write_through=True
    )
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(
        FullWriter(2, "w", closefd=False),
        encoding="utf-8",
        errors="backslashreplace",
        write_through=True,
    )
    main = types.ModuleType("__main__")
    main.__file__ = "/tmp/main.py"
    main.__cached__ = None
    main.__builtins__ = builtins
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", "/tmp/main.py")
    sys.modules["__main__"] = main
    sys.argv[:] = ["/tmp/main.py"]
    sys.orig_argv[:] = [sys.executable, "-u", "/tmp/main.py"]
    sys.path[0] = "/tmp"
    # The compiler's first use after the fork costs milliseconds (the memory it touches is
    # copied from the parent's): pay it now, not in the run.
    compile("pass", "/tmp/main.py", "exec", dont_inherit=True)
    return main


def run_program(main, source):
    """In the child: the program, to its end. Never returns."""
    try:
        exec(compile(source, "/tmp/main.py", "exec", dont_inherit=True), main.__dict__)
    except SystemExit as stop:
        finish(exit_status(stop.code))
    except BaseException as error:
        tb = error.__traceback__
        tb = None if isinstance(error, SyntaxError) and tb.tb_next is None else tb.tb_next
        sys.excepthook(type(error), error.with_traceback(tb), tb)
        if isinstance(error, KeyboardInterrupt):
            finish(None)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        finish(1)
    finish(0)


def write_file(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    write_all(fd, data)
    os.close(fd)


def place_files(block):
    """In the child, before the program: the request's files in the working directory, from
    the JSON block after the source (`[[relative name, base64], ...]`; the service checked the
    names, and they are checked again here). Subfolders are made as needed."""
    if not block:
        return
    for name, data in json.loads(block):
        parts = name.split("/")
        if name.startswith("/") or any(part in ("", ".", "..") for part in parts) or "\0" in name:
            sys.exit("launcher: refused file name %r" % name)
        folder = WORKDIR
        for part in parts[:-1]:
            folder = os.path.join(folder, part)
            if not os.path.isdir(folder):
                os.mkdir(folder, 0o700)
        fd = os.open(
            os.path.join(WORKDIR, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600
        )
        write_all(fd, base64.b64decode(data))
        os.close(fd)


def collect_out(max_files, max_bytes):
    """After the program: the regular files under out/ in the working directory, as JSON
    (`{"files": [[name, size, base64], ...], "truncated": bool}`), or None without out/. Every
    step goes through a descriptor opened without following links (a link the program made is
    skipped, never followed), and only regular files are read, within the caps."""
    try:
        top = os.open(os.path.join(WORKDIR, "out"), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    files, budget, truncated = [], [max_bytes], [False]

    def walk(folder_fd, prefix):
        for entry in sorted(os.listdir(folder_fd)):
            name = prefix + entry
            try:
                info = os.stat(entry, dir_fd=folder_fd, follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                try:
                    inner = os.open(
                        entry, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder_fd
                    )
                except OSError:
                    continue
                try:
                    walk(inner, name + "/")
                finally:
                    os.close(inner)
                continue
            if not stat.S_ISREG(info.st_mode):
                continue  # links, FIFOs, sockets, devices: never read
            if len(files) >= max_files or info.st_size > budget[0]:
                truncated[0] = True
                continue
            try:
                fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
            except OSError:
                continue
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    continue
                data = os.read(fd, budget[0] + 1)
            finally:
                os.close(fd)
            if len(data) > budget[0]:
                truncated[0] = True
                continue
            budget[0] -= len(data)
            files.append([name, len(data), base64.b64encode(data).decode()])

    try:
        walk(top, "")
    finally:
        os.close(top)
    return json.dumps({"files": files, "truncated": truncated[0]}).encode()


def run_other(header, source, compile_token):
    """In the child, for a program that is not Python: its source into its file, its compiler
    (if it has one) within the compile limit, then the program itself in place of this process
    (same pid, so the parent's wait and limit apply to it). Never returns.
    After a compilation the child says how it went, on stdout under the header's compile token
    (`\x1eSCE-COMPILED <token> ok|fail\x1e`, unless the token is `-`), and the service may then
    change the container's memory from the compiler's limit to the program's before it sends
    the end token; the program starts only when the parent has that token (its `go`)."""
    write_file(os.path.join(WORKDIR, LAUNCH["sourceFile"]), source)
    os.write(1, b"\x06")  # from here on every byte is the run's: the compiler's messages too
    compile_ms = 0
    status = 0
    compiled = bool(LAUNCH.get("compile"))
    if compiled:
        began = time.monotonic_ns()
        status = compile_program()
        compile_ms = (time.monotonic_ns() - began) // 1_000_000
        if compile_token != b"-":
            verdict = b"ok" if status == 0 else b"fail"
            write_all(1, b"\x1eSCE-COMPILED " + compile_token + b" " + verdict + b"\x1e")
    # "<header> <start> <compile ms> <failed>": the parent starts the clock (at the go, after a
    # compilation; else from this start).
    write_all(read_write, b"%s %d %d %d\n" % (header, time.monotonic_ns(), compile_ms, status != 0))
    os.close(read_write)
    if status != 0:
        os.write(DONE_FD, b"%d %d\n" % (os.getpid(), status))
        os._exit(status)
    if compiled:
        os.read(GO_READ, 1)  # the parent's go: it holds the end token, the limits are the program's
    try:
        os.execvp(LAUNCH["command"][0], LAUNCH["command"])
    except OSError as error:
        os.write(2, b"launcher: cannot run %s: %s\n" % (LAUNCH["command"][0].encode(), error.strerror.encode()))
        os._exit(127)


def become_prestarted_interpreter():
    """In the child, at once, for a runtime whose interpreter starts before the program arrives
    (`prestart`): the interpreter in this process's place, with the relay as its stdin and the go
    pipe as descriptor 3, on which it waits for one byte before it runs the source file. Its
    start, most of a hello world's time in Node.js or Ruby, then happens while the container
    waits in the pool, not in the run. It never sees the launcher's stdin (the parent reads the
    program for it, receive_program), and every other descriptor of the launcher's closes on
    exec. Never returns."""
    try:
        os.dup2(stdin_read, 0)
        if GO_READ == 3:
            os.set_inheritable(3, True)
        else:
            os.dup2(GO_READ, 3)
        os.execvp(LAUNCH["prestart"][0], LAUNCH["prestart"])
    except OSError as error:
        os.write(2, b"launcher: cannot start %s: %s\n" % (LAUNCH["prestart"][0].encode(), error.strerror.encode()))
    os._exit(127)


def read_program():
    """From the launcher's stdin, exactly the header, the source and the request's files (placed
    in the working directory), never a byte of the end token that follows. Returns the header
    (stripped), the source and the compile token; None at the end of stdin (no program came)."""
    header = b""
    while not header.endswith(b"\n"):
        byte = os.read(0, 1)
        if not byte:
            return None
        header += byte
    length, _limit, compile_token, files_length = header.split()[:4]
    source = read_exactly(int(length))
    place_files(read_exactly(int(files_length)))
    return header.strip(), source, compile_token


def receive_program():
    """In the parent, for a prestarted interpreter (the child, which must not read the launcher's
    stdin): exactly the header, the source and the files, written to the working directory
    before any of the program's code runs, then the start marker. Returns the news the child
    gives otherwise (`<header> <start> 0 0`), or nothing at the end of stdin."""
    program = read_program()
    if program is None:
        return b""
    header, source, _compile_token = program
    write_file(os.path.join(WORKDIR, LAUNCH["sourceFile"]), source)
    os.write(1, b"\x06")
    return b"%s %d 0 0" % (header, time.monotonic_ns())


def compile_program():
    """Runs the compiler on the program (its messages are the run's output), within the compile
    limit; returns its status, non-zero when the program cannot run."""
    limit_ms = LAUNCH["compileTimeoutMs"]
    try:
        compiler = subprocess.Popen(
            LAUNCH["compile"], cwd=WORKDIR, stdin=subprocess.DEVNULL, start_new_session=True
        )
    except OSError as error:
        os.write(2, b"launcher: cannot run the compiler: %s\n" % error.strerror.encode())
        return 127
    try:
        status = compiler.wait(timeout=limit_ms / 1000)
    except subprocess.TimeoutExpired:
        os.killpg(compiler.pid, signal.SIGKILL)
        compiler.wait()
        os.write(2, b"compilation stopped: it took longer than %d ms\n" % limit_ms)
        return 124
    if status < 0:
        os.write(2, b"compilation stopped: the compiler was killed by signal %d\n" % -status)
        return 128 - status
    return status


def exit_status(code):
    """The status python3 exits with for `sys.exit(code)` (Python/pythonrun.c)."""
    if code is None:
        return 0
    if isinstance(code, int):
        # A C long, cast to int, then the kernel's low byte; past a long, -1.
        return code & 0xFF if -(2**63) <= code < 2**63 else 255
    sys.stderr.write(str(code) + "\n")
    return 1


def finish(status):
    """The steps of the interpreter's exit a program can see (its non-daemon threads joined, its
    atexit handlers run, Python's and C's buffers flushed), then the exit itself, without the
    interpreter's full teardown: that costs tens of milliseconds of the run's time for nothing a
    program can observe, but finalizers (__del__) of objects still alive at exit."""
    threading._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    libc.fflush(None)
    if status is not None:
        # Tell the parent at once: it need not wait for the kernel to tear the process down.
        try:
            os.write(DONE_FD, b"%d %d\n" % (os.getpid(), status))
        except OSError:
            pass  # the program closed it: the parent has the wait status
        os._exit(status)


def cgroup_number(*paths):
    """The first readable number among cgroup files (v1, then v2 names); -1 when none is (gVisor
    has no cgroup files inside its sandbox)."""
    for path in paths:
        try:
            with open(path) as counter:
                text = counter.read()
            if path.endswith("cpu.stat"):
                return int(text.split("usage_usec ")[1].split()[0]) * 1000
            return int(text.split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return -1


def cpu_ns():
    """CPU time of every process in the container so far (the cgroup's), in nanoseconds."""
    return cgroup_number(
        "/sys/fs/cgroup/cpuacct/cpuacct.usage",
        "/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage",
        "/sys/fs/cgroup/cpu.stat",
    )


def memory_peak_bytes():
    """The container's highest memory use so far (the cgroup's), launcher and compiler included."""
    return cgroup_number(
        "/sys/fs/cgroup/memory/memory.max_usage_in_bytes", "/sys/fs/cgroup/memory.peak"
    )


def oom_kills():
    """OOM kills in the container's memory cgroup so far; -1 when it cannot tell."""
    for path in ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events"):
        try:
            with open(path) as counters:
                for line in counters:
                    if line.startswith("oom_kill "):
                        return int(line.split()[1])
        except (OSError, ValueError):
            pass
    return -1


def memory_pressure():
    """(bytes in use that the kernel cannot reclaim, limit bytes, major page faults so far) of the
    container's memory cgroup (v1, then v2 names), or None when it cannot tell (gVisor). All but
    the page cache's lists of file pages is beyond reclaim: there is no swap, and locked pages
    are on a list of their own."""
    for folder, usage_name, limit_name, prefix in (
        ("/sys/fs/cgroup/memory/", "memory.usage_in_bytes", "memory.limit_in_bytes", "total_"),
        ("/sys/fs/cgroup/", "memory.current", "memory.max", ""),
    ):
        try:
            with open(folder + usage_name) as usage_file:
                usage = int(usage_file.read().split()[0])
            with open(folder + limit_name) as limit_file:
                limit = int(limit_file.read().split()[0])
            with open(folder + "memory.stat") as stat_file:
                fields = dict(line.split() for line in stat_file)
            files = int(fields[prefix + "active_file"]) + int(fields[prefix + "inactive_file"])
            return usage - files, limit, int(fields[prefix + "pgmajfault"])
        except (OSError, ValueError, KeyError):
            pass
    return None


# Thrashing: when memory the kernel cannot reclaim fills the limit, the kernel keeps the program
# alive by evicting the program's own code and libraries, which it faults back in at once, and
# need never OOM-kill it: with a cold page cache a Node.js allocation bomb spins like that until
# the time limit. Memory at least THRASH_FULL full of what cannot be reclaimed, with major faults
# since the sample before, is thrashing; thrashing in every sample for THRASH_S, or at the time
# limit, means the program ran out of memory, and it is reported as OOM-killed (its code, not
# its data, was being pushed out). Sampled every THRASH_SAMPLE_S.
THRASH_SAMPLE_S = 0.1
THRASH_S = 0.5
THRASH_FULL = 0.9
out_of_memory = []  # set when the launcher stopped a program that was out of memory


class ThrashWatch:
    def __init__(self):
        self.faults = None
        self.since = None  # when the samples started to show thrashing

    def sample(self):
        """Takes a sample; answers whether the program is thrashing now, or None when the
        container's memory cannot be read."""
        pressure = memory_pressure()
        if pressure is None:
            return None
        unreclaimable, limit, faults = pressure
        thrashing = (
            self.faults is not None and faults > self.faults and unreclaimable >= limit * THRASH_FULL
        )
        self.faults = faults
        if not thrashing:
            self.since = None
        elif self.since is None:
            self.since = time.monotonic()
        return thrashing

    def too_long(self):
        return self.since is not None and time.monotonic() - self.since >= THRASH_S


def relay_stdin(pipe):
    try:
        while True:
            data = os.read(0, 65536)
            if not data:
                break
            write_all(pipe, data)
    except OSError:
        pass  # the program closed its stdin or has ended
    finally:
        os.close(pipe)


libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
# The program's process is forked now, before the program arrives (a pooled container's launcher
# starts long before its program comes), and made ready. When the program comes, the child
# reads exactly the header and the source from stdin, tells the parent (which then owns the rest
# of stdin: the end token, then the program's stdin) and runs the program at once, so that no
# step between the source's arrival and the program's start waits for the other process. End of
# file instead of a program: the child leaves quietly, and the parent says so.
stdin_read, stdin_write = os.pipe()
read_read, read_write = os.pipe()
done_read, DONE_FD = os.pipe()
GO_READ, go_write = os.pipe()
child = os.fork()
if child == 0:
    if not IN_SANDBOX:
        os.setpgid(0, 0)
    os.close(stdin_write)
    os.close(read_read)
    os.close(done_read)
    os.close(go_write)
    if PRESTART:
        become_prestarted_interpreter()
    main_module = become_program() if LAUNCH is None else None
    program = read_program()
    if program is None:
        os._exit(0)
    header, source, compile_token = program
    # The launcher's own stdin (the token in it) is never the program's: its stdin is the relay.
    os.dup2(stdin_read, 0)
    os.close(stdin_read)
    if LAUNCH is not None:
        run_other(header, source, compile_token)
    os.close(GO_READ)  # only a compiled program waits for a go
    started = time.monotonic_ns()
    write_file("/tmp/main.py", source)
    write_all(read_write, b"%s %d 0 0\n" % (header, started))
    os.close(read_write)
    os.write(1, b"\x06")
    run_program(main_module, source)

os.close(stdin_read)
os.close(read_write)
os.close(DONE_FD)
os.close(GO_READ)


def keep_own_code_in_memory():
    """Locks the pages of this process's code and read-only data (its interpreter's and
    libraries' files) in memory: with the memory full, the kernel would evict them, and the
    launcher could neither see the program thrash nor stop it (enforce_limit). Executable pages
    first, as the sandbox's lock limit may not cover all of them; a page already locked or past
    that limit is left as it is. The program's own Python shares most of these pages."""
    mappings = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split()
                if len(fields) < 6 or not fields[5].startswith("/") or "w" in fields[1]:
                    continue
                start, end = (int(address, 16) for address in fields[0].split("-"))
                mappings.append(("x" not in fields[1], start, end - start))
    except (OSError, ValueError):
        return
    for _, start, length in sorted(mappings):
        libc.mlock(ctypes.c_void_p(start), ctypes.c_size_t(length))


timed_out = []
reporting = threading.Lock()
token_box = []
token_ready = threading.Event()


compile_box = [0, False]  # the compilation's milliseconds, and whether it failed
cpu_at_start = [-1]  # the cgroup's CPU time when the program started
out_caps = [0, 0]  # most files, and bytes, returned from out/


def report_and_exit(exit_code, ending):
    """Writes the end report once (whichever of the two ends below comes first) and exits."""
    reporting.acquire()
    token_ready.wait()  # set after the child's news: compile_box is known
    compile_ms, compile_failed = compile_box
    if compile_failed:
        ending = b"compile"
    cpu_now = cpu_ns()
    cpu_us = (cpu_now - cpu_at_start[0]) // 1000 if cpu_now >= 0 and cpu_at_start[0] >= 0 else -1
    peak = memory_peak_bytes()
    if out_caps[0] > 0 and not compile_failed:
        stop_everything_else()  # nothing may change out/ while it is read, nor write meanwhile
        out = collect_out(*out_caps)
        if out is not None:
            try:
                write_all(1, b"\x1eSCE-FILES " + token_box[0] + b" %d\x1e" % len(out) + out)
            except OSError:
                pass
    oom = oom_kills()
    if out_of_memory and oom >= 0:
        oom = max(oom, 1)
    report = b"\x1eSCE-END " + token_box[0] + b" %d %d %s %d %d %d\x1e" % (
        exit_code,
        oom,
        ending,
        compile_ms,
        cpu_us,
        peak // 1024 if peak >= 0 else -1,
    )
    for out in (1, 2):
        try:
            write_all(out, report)
        except OSError:
            pass
    os._exit(exit_code)


def watch_done():
    """The child's own word that it is exiting with a status (finish), so the report need not
    wait for the kernel to tear the child down. Only the child's pid counts: the program's forked
    processes run the same exit steps. The program could send it itself, but that only ends its
    own run early with a status of its choosing, as exiting does."""
    pending = b""
    while True:
        chunk = os.read(done_read, 64)
        if not chunk:
            return  # the child died some other way: its wait status tells
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            fields = line.split()
            if len(fields) == 2 and fields[0] == b"%d" % child and fields[1].isdigit():
                if int(fields[1]) <= 255:
                    report_and_exit(int(fields[1]), b"exit")
        if len(pending) > 64:
            return  # not the child's: leave it to the wait status


def wait_for_child():
    """The child's real wait status: for a program killed by a signal, or gone by os._exit."""
    _, wait_status = os.waitpid(child, 0)
    status = os.waitstatus_to_exitcode(wait_status)
    ending = b"time" if timed_out and os.WIFSIGNALED(wait_status) else b"exit"
    report_and_exit(status if status >= 0 else 128 - status, ending)  # signal N: 128 + N


deadline = []
deadline_known = threading.Event()


def enforce_limit():
    """Waits out the time limit in a thread of its own, not with a timer signal: a process-directed
    signal may reach any thread (gVisor's do), and Python runs handlers only in the main thread,
    which may be blocked relaying stdin. It first locks the launcher's code in memory, here
    rather than before the threads start: locking takes milliseconds, and a program that fills
    the sandbox's process limit meanwhile would leave no room to start them."""
    keep_own_code_in_memory()
    deadline_known.wait()
    watch = ThrashWatch()
    readable = True
    while readable:
        left = deadline[0] - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(left, THRASH_SAMPLE_S))
        readable = watch.sample() is not None
        if watch.too_long():
            break
    if not readable:
        time.sleep(max(deadline[0] - time.monotonic(), 0))
    elif watch.since is not None:
        out_of_memory.append(True)
        stop_everything_else()
        return
    at_limit()


# Both ends and the limit are watched from threads started now, while the launcher waits:
# starting a thread takes a round of the scheduler, which the run should not wait for, and a
# program that fills the sandbox's process limit leaves no room to start one later.
threading.Thread(target=watch_done, daemon=True).start()
threading.Thread(target=wait_for_child, daemon=True).start()
threading.Thread(target=enforce_limit, daemon=True).start()
news = b""
while not PRESTART:
    chunk = os.read(read_read, 256)
    if not chunk:
        break
    news += chunk
os.close(read_read)
if PRESTART:
    news = receive_program()
if not news:
    sys.exit("launcher: no program received")
_length, limit_ms, _compile_token, _files_length, out_files, out_bytes, started, compile_ms, compile_failed = news.split()
out_caps[:] = [int(out_files), int(out_bytes)]
compile_box[:] = [int(compile_ms), compile_failed == b"1"]
# A compiled program waits for its go, which comes once the service has sent the end token
# (after changing the container's memory to the program's, where it does): its clock starts then.
waits_for_go = LAUNCH is not None and bool(LAUNCH.get("compile")) and not compile_box[1]
if waits_for_go:
    token_box.append(read_exactly(TOKEN_BYTES))
    started = time.monotonic_ns()
    cpu_at_start[0] = cpu_ns()
    os.write(go_write, b"g")
else:
    cpu_at_start[0] = cpu_ns()
    if PRESTART:
        try:
            os.write(go_write, b"g")  # the interpreter runs the program now
        except OSError:
            pass  # it has died: its wait status tells how
os.close(go_write)

# Signals meant for the program (tini forwards SIGTERM and others to its child, this process)
# reach it as if it were still the launcher's own process.
for forwarded in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(forwarded, lambda number, _frame: os.kill(child, number))


def stop_everything_else():
    """Kills every process of the program's that is left (not this one)."""
    try:
        if IN_SANDBOX:
            os.kill(-1, signal.SIGKILL)
        else:
            os.killpg(child, signal.SIGKILL)
    except OSError:
        pass


def at_limit():
    timed_out.append(True)
    try:
        if IN_SANDBOX:
            os.kill(-1, signal.SIGKILL)  # every process of the program; not this one, not init
        else:
            os.killpg(child, signal.SIGKILL)
    except OSError:
        pass


# The limit counts from the program's start, which the child noted (the same clock for both).
deadline.append(int(started) / 1e9 + int(limit_ms) / 1000)
deadline_known.set()
if not waits_for_go:
    token_box.append(read_exactly(TOKEN_BYTES))
token_ready.set()
# The main thread relays the program's stdin (signals are handled here, between reads), until
# one of the threads above reports and ends the process.
relay_stdin(stdin_write)
threading.Event().wait()
