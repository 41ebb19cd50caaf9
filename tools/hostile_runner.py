"""Load untrusted files in forked, resource-limited children and judge what happened.

Used by ``make_hostile_corpus.py`` (the whole corpus) and by
``tests/reliability/test_hostile_files.py`` (a fixed sample). Each load runs in a
child forked from a parent that already imported lamina (so a load costs
milliseconds), with ``RLIMIT_AS`` (address space), ``RLIMIT_CPU`` and a wall-clock
timeout. An audit hook in the child records file writes, opens of the planted
secret file and code-running events (``os.system``, ``subprocess.Popen``,
``marshal.loads``, ``pickle``, ``ctypes``, ``exec`` of code that is not a module).
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import sys
import tempfile
import time
import traceback

# Messages of NumPy, h5py, zipfile or Python itself that must never reach a user unexplained.
RAW_MESSAGES = re.compile(
    r"could not convert|cannot reshape array|operands could not be broadcast|setting an array "
    r"element|inhomogeneous|is out of bounds|Unable to allocate|must provide an itemsize|not "
    r"aligned|output array|invalid literal|unsupported operand|is not subscriptable|has no "
    r"attribute|object is not callable|Bad CRC|Bad magic|np\.float\d+\(|np\.int\d+\(|"
    r"np\.str_\(|Unable to (?:open|synchronously)|object of type|positional argument|"
    r"unexpected keyword argument|Error -3 while decompressing|not iterable",
    re.IGNORECASE)
PROGRAMMING_ERRORS = (KeyError, IndexError, AttributeError, AssertionError, RecursionError,
                      NameError, UnboundLocalError, ZeroDivisionError, StopIteration, SystemError,
                      OverflowError)
CODE_EVENTS = {"os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn",
               "os.fork", "os.forkpty", "pty.spawn", "marshal.loads", "marshal.load",
               "pickle.find_class", "ctypes.dlopen", "ctypes.dlsym", "socket.connect",
               "urllib.Request", "webbrowser.open", "os.startfile"}
FS_EVENTS = {"os.remove", "os.rename", "os.mkdir", "os.symlink", "os.link", "os.rmdir",
             "os.truncate", "os.chmod", "os.chown", "shutil.rmtree", "shutil.copyfile",
             "shutil.move", "os.utime"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _lamina_dir():
    import lamina

    return os.path.dirname(os.path.abspath(lamina.__file__))


def judge_exception(e, lamina_dir=None) -> tuple[bool, str]:
    """(clear?, why) for an exception a load raised."""
    lamina_dir = lamina_dir or _lamina_dir()
    frames = traceback.extract_tb(e.__traceback__)
    inner = frames[-1].filename if frames else ""
    message = str(e)
    name = type(e).__name__
    if isinstance(e, PROGRAMMING_ERRORS):
        return False, f"{name} (a programming error, not an explanation) at {inner}"
    if isinstance(e, MemoryError) and type(e).__module__.split(".")[0] != "lamina":
        return False, f"raw MemoryError at {inner}"
    if not os.path.abspath(inner).startswith(lamina_dir):
        return False, f"{name} raised outside lamina, in {inner}"
    if len(message) < 20:
        return False, f"{name} with a message too short to explain: {message!r}"
    raw = RAW_MESSAGES.search(message.split("Details:")[0])  # (library words may follow)
    if raw:
        return False, f"{name} with a raw library message ({raw.group(0)!r})"
    return True, name


def _child(entry, safe_mode, templates, limits, canary_dir, out_fd):
    import resource

    events = []
    secret_name = limits["secret_name"]

    def hook(event, args):
        try:
            if event == "open":
                path, mode, flags = (tuple(args) + (None, None, None))[:3]
                if isinstance(path, int):
                    return
                p = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else ""
                if secret_name in p:
                    events.append(["secret read", p])
                writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                    isinstance(flags, int) and flags & WRITE_FLAGS)
                if writes:
                    events.append(["write", p])
            elif event in CODE_EVENTS:
                events.append(["code", event])
            elif event in FS_EVENTS:
                events.append(["write", f"{event} {args[:1]!r}"])
            elif event == "exec":
                code = args[0] if args else None
                filename = getattr(code, "co_filename", "")
                if not str(filename).endswith(".py"):
                    events.append(["code", f"exec of {filename}"])
        except Exception:  # noqa: BLE001 - the hook must never fail the load
            pass

    result = {"events": events}
    try:
        os.chdir(limits["sandbox"])
        soft = limits["vm_base"] + limits["memory_bytes"]
        resource.setrlimit(resource.RLIMIT_AS, (soft, soft))
        resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 2))
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sys.addaudithook(hook)
        start = time.perf_counter()
        try:
            _load(entry, safe_mode, templates)
            result.update(outcome="loaded", detail="loaded")
        except BaseException as e:  # noqa: BLE001 - judged below
            clear, why = judge_exception(e, limits["lamina_dir"])
            result.update(outcome="refused" if clear else "unclear",
                          detail=f"{why}: {str(e)[:300]}")
            if not clear:
                result["traceback"] = "".join(traceback.format_exception(e))[-2000:]
        result["seconds"] = time.perf_counter() - start
        result["rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    except BaseException as e:  # noqa: BLE001
        result.update(outcome="crash", detail=f"runner: {e!r}")
    data = json.dumps(result, default=str).encode()
    view = memoryview(data)
    while view:
        n = os.write(out_fd, view)
        view = view[n:]


def _load(entry, safe_mode, templates):
    import lamina

    kind = entry["kind"]
    if kind in ("keras", "legacy_model"):
        lamina.models.load_model(entry["path"], safe_mode=safe_mode)
    elif kind == "weights":
        templates["weights"].load_weights(entry["path"])
    elif kind == "legacy_weights":
        templates["legacy_weights"].load_weights(entry["path"])
    else:  # pragma: no cover
        raise ValueError(f"unknown kind {kind}")


def _vm_size() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _snapshot(folder):
    out = {}
    for name in os.listdir(folder):
        try:
            st = os.lstat(os.path.join(folder, name))
            out[name] = (st.st_size, st.st_mtime_ns)
        except OSError:
            continue
    return out


def run_one(entry, safe_mode, corpus, templates, limits):
    """Load one file in a forked child; return the judged result."""
    sandbox = tempfile.mkdtemp(prefix="sandbox_", dir=limits["scratch"])
    limits = dict(limits, sandbox=sandbox)
    before = _snapshot(corpus.folder)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            os.close(read_fd)
            _child(entry, safe_mode, templates, limits, corpus.folder, write_fd)
        except BaseException:  # noqa: BLE001
            code = 3
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks, deadline, timed_out = [], time.monotonic() + limits["timeout"], False
    start = time.monotonic()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([read_fd], [], [], left)
        if ready:
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.close(read_fd)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    wall = time.monotonic() - start
    result = {"name": entry["name"], "kind": entry["kind"], "family": entry["family"],
              "expect": entry["expect"], "safe_mode": safe_mode, "wall": wall}
    if timed_out:
        result.update(outcome="timeout", detail=f"no answer within {limits['timeout']} s")
    elif chunks:
        try:
            result.update(json.loads(b"".join(chunks)))
        except ValueError:
            result.update(outcome="crash", detail="garbled answer from the child")
    else:
        how = (f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"exit status {os.WEXITSTATUS(status)}")
        result.update(outcome="crash", detail=f"the child died ({how}), e.g. out of memory")
    problems = []
    for kind, what in result.get("events", []):
        problems.append(f"{kind}: {what}")
    if os.path.exists(corpus.canary):
        problems.append("code ran: the canary file was written")
        os.remove(corpus.canary)
    leftovers = os.listdir(sandbox)
    if leftovers:
        problems.append(f"wrote into the working folder: {leftovers[:3]}")
    after = _snapshot(corpus.folder)
    if after != before:
        changed = sorted(set(after.items()) ^ set(before.items()))
        problems.append(f"changed the corpus folder: {changed[:3]}")
    import shutil

    shutil.rmtree(sandbox, ignore_errors=True)
    if result["outcome"] == "loaded" and entry["expect"] == "refuse":
        problems.append("loaded, but this file must be refused")
    if result["outcome"] in ("unclear", "timeout", "crash"):
        problems.append(result["outcome"])
    result["problems"] = problems
    result["ok"] = not problems
    return result


def templates_for(corpus):
    """Models the weights files are loaded into, built before forking."""
    import lamina

    base = lamina.models.load_model(corpus.path("base.keras"))
    legacy = lamina.Sequential([
        lamina.layers.Dense(8, activation="relu", input_shape=(4,)),
        lamina.layers.BatchNormalization(),
        lamina.layers.Dropout(0.2),
        lamina.layers.Dense(3, activation="softmax"),
    ])
    return {"weights": base, "legacy_weights": legacy}


def run_all(corpus, timeout=30.0, memory_bytes=3 * 2**30, cpu_seconds=30, safe_modes=(True, False),
            progress=None):
    """Every corpus file through ``run_one`` (model files once per ``safe_mode``)."""
    import h5py  # noqa: F401  (imported before forking)

    import lamina

    templates = templates_for(corpus)
    lamina.models.load_model(corpus.path("base.keras"))  # warm the lazy imports
    scratch = tempfile.mkdtemp(prefix="lamina_scratch_")
    limits = {"timeout": timeout, "memory_bytes": memory_bytes, "cpu_seconds": cpu_seconds,
              "vm_base": _vm_size(), "secret_name": os.path.basename(corpus.secret),
              "lamina_dir": _lamina_dir(), "scratch": scratch}
    results = []
    try:
        for i, entry in enumerate(corpus.entries):
            modes = safe_modes if entry["kind"] in ("keras", "legacy_model") else (True,)
            for safe_mode in modes:
                results.append(run_one(entry, safe_mode, corpus, templates, limits))
            if progress:
                progress(i + 1, len(corpus.entries))
    finally:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    return results


def summarize(results) -> dict:
    files = sorted({r["name"] for r in results})
    by_outcome = {}
    for r in results:
        by_outcome[r["outcome"]] = by_outcome.get(r["outcome"], 0) + 1
    failed = [r for r in results if not r["ok"]]
    refused_files = {r["name"] for r in results if r["outcome"] == "refused"}
    code_ran = sum(1 for r in results if any("code" in p or "canary" in p for p in r["problems"]))
    wrote = sum(1 for r in results if any(p.startswith(("write", "wrote", "changed"))
                                          for p in r["problems"]))
    secret = sum(1 for r in results if any(p.startswith("secret") for p in r["problems"]))
    return {
        "files": len(files), "loads": len(results), "outcomes": by_outcome,
        "refused_files": len(refused_files),
        "loaded_harmless": sum(1 for r in results if r["outcome"] == "loaded" and r["ok"]),
        "failed": len(failed), "code_ran": code_ran, "wrote": wrote, "secret_read": secret,
        "max_seconds": round(max((r["wall"] for r in results), default=0.0), 2),
        "max_rss_mib": round(max((r.get("rss_kib", 0) for r in results), default=0) / 1024, 1),
        "failures": [f"{r['name']} (safe_mode={r['safe_mode']}): {'; '.join(r['problems'])} "
                     f"- {r.get('detail', '')[:200]}" for r in failed],
    }


def format_summary(s) -> str:
    lines = [
        f"hostile files: {s['files']} files, {s['loads']} loads (model files with safe_mode "
        "True and False)",
        f"  refused with a clear lamina error: {s['outcomes'].get('refused', 0)} loads "
        f"({s['refused_files']} files)",
        f"  loaded harmlessly (mutations that keep the file valid): {s['loaded_harmless']}",
        f"  code run: {s['code_ran']}, files written: {s['wrote']}, secret path read: "
        f"{s['secret_read']}",
        f"  slowest load: {s['max_seconds']} s, largest memory growth: {s['max_rss_mib']} MiB",
        f"  failed: {s['failed']}",
    ]
    lines += [f"    {f}" for f in s["failures"][:60]]
    return "\n".join(lines)
