# The sandbox's launcher: the container's command (python3 -u -c <this file>).
#
# Reads the program from standard input, framed as `<byte length> <end token>\n<source><stdin>`
# (launcher.ts, frameProgram), writes it to /tmp/main.py inside the container and runs it there
# as `python3 -u /tmp/main.py` would: as __main__, with that file name, argv, sys.path[0],
# loader and exit status, and tracebacks that do not show the launcher. Just before the program
# starts it writes the start marker (0x06) on stdout; when the program has ended (returned,
# raised or called sys.exit) it writes the end report of program-end.ts on stdout and stderr.
# The program's fd 0 is left exactly at the first byte of its own stdin (os.read takes no more
# than it asks for).
#
# It runs the program in its own, already started interpreter rather than exec'ing a second
# one: in a pooled container the launcher has started before the program arrives, so the
# program does not wait for an interpreter start. The one visible difference: introspection of
# the stack (inspect.stack(), recursion depth) sees one more frame, the launcher's.
import atexit, builtins, importlib.machinery, os, sys, types
header = b""
while not header.endswith(b"\n"):
    byte = os.read(0, 1)
    if not byte: sys.exit("launcher: no program received")
    header += byte
length, token = header.split()
remaining = int(length)
chunks = []
chunk = b""
while remaining:
    chunk = os.read(0, min(remaining, 65536))
    if not chunk: break
    chunks.append(chunk)
    remaining -= len(chunk)
source = b"".join(chunks)
fd = os.open("/tmp/main.py", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
view = memoryview(source)
while view: view = view[os.write(fd, view):]
os.close(fd)
main = types.ModuleType("__main__")
main.__file__ = "/tmp/main.py"
main.__cached__ = None
main.__builtins__ = builtins
main.__loader__ = importlib.machinery.SourceFileLoader("__main__", "/tmp/main.py")
sys.modules["__main__"] = main
sys.argv[:] = ["/tmp/main.py"]
sys.orig_argv[:] = [sys.executable, "-u", "/tmp/main.py"]
sys.path[0] = "/tmp"
# The end report (program-end.ts), from the first atexit handler registered, which runs
# last: after the program's own handlers and after its non-daemon threads have finished.
status = [0]
def report_end(pid=os.getpid(), prefix=b"\x1eSCE-END " + token + b" ", status=status):
    if os.getpid() != pid: return
    for stream in (sys.stdout, sys.stderr):
        try: stream.flush()
        except Exception: pass
    oom = -1
    for path in ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events"):
        try:
            with open(path) as counters:
                for line in counters:
                    if line.startswith("oom_kill "): oom = int(line.split()[1])
            break
        except (OSError, ValueError): pass
    report = prefix + b"%d %d\x1e" % (status[0], oom)
    for out in (1, 2):
        try: os.write(out, report)
        except OSError: pass
atexit.register(report_end)
del header, length, token, remaining, chunks, chunk, view, fd, builtins, importlib, types
os.write(1, b"\x06")
try:
    exec(compile(source, "/tmp/main.py", "exec", dont_inherit=True), main.__dict__)
except SystemExit as stop:
    code = stop.code
    status[0] = 0 if code is None else code & 0xFF if isinstance(code, int) else 1
    raise
except BaseException as error:
    del source
    tb = error.__traceback__
    tb = None if isinstance(error, SyntaxError) and tb.tb_next is None else tb.tb_next
    sys.excepthook(type(error), error.with_traceback(tb), tb)
    if isinstance(error, KeyboardInterrupt):
        import signal
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    status[0] = 1
    sys.exit(1)
