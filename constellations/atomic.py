"""Atomic writes: a file (temporary name, then a rename) and a whole output folder (staged, then swapped).

A reader never sees a half-written result: either the old file (or none) or the complete new one.

A folder is written by :func:`staged_folder`: under a lock, into a fresh staging folder next to the
target (``.NAME.staging-PID-RANDOM``), which replaces the target in one atomic exchange
(``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames through ``.NAME.previous-PID-RANDOM``)
only when everything is written. The previous finished run stays intact until that moment and is
deleted right after it. A run that fails or is interrupted leaves the target as it was and removes
its staging folder; the leftovers of a killed run (``.NAME.staging-*``, ``.NAME.previous-*``,
``.NAME.probe-*`` of a process that no longer holds the lock) are removed by the next run into the
same folder, and nothing else ever is. A second run into a folder that is being written is refused
(:class:`FolderError`, exit 2 from the command), naming the folder and the other process.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import tempfile
import threading
from pathlib import Path

__all__ = [
    "RUN_MARKER",
    "FolderError",
    "atomic_path",
    "atomic_write_text",
    "check_folder",
    "folder_lock",
    "relocate",
    "staged_folder",
]

RUN_MARKER = ".constellations-run"  # JSON (pid, start); in every folder written by staged_folder
DISK_MARGIN = 1.25  # the free space asked for: the estimate of the outputs times this
MIN_FREE_BYTES = 8 * 2**20  # and at least this much (the index, tables and a small figure)
_AT_FDCWD = -100  # <fcntl.h>
_RENAME_EXCHANGE = 2  # <linux/fs.h>
_HELD: dict[str, list] = {}  # folder -> [lock file descriptor, depth]: this process's locks
_ACTIVE: set[str] = set()  # this process's staging folders in use (never cleaned as leftovers)


class FolderError(ValueError):
    """An output folder that cannot be used: busy, in the way, not writable, not ours, no space.

    A ValueError, so the command reports it as bad input (exit 2) with its one-line message.
    """


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path to write; on success it replaces ``path``, on error it is removed.

    The file gets the usual permissions (``0o666`` minus the umask), not ``mkstemp``'s ``0o600``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:64]}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _about(exc, path) from None
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:  # the message names the target, not the temporary file
        tmp.unlink(missing_ok=True)
        raise _about(exc, path) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _about(exc: OSError, path: Path) -> OSError:
    """The same error (type and errno) about ``path``: ``cannot write PATH: REASON``."""
    return type(exc)(exc.errno, f"cannot write {path}: {exc.strerror or exc}; check that its folder "
                     "exists and is writable and that the file name is not too long", str(path))


def atomic_write_text(path, text: str) -> Path:
    """Write text (UTF-8, ``\\n`` line ends) to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return Path(path)


# ----------------------------------------------------------------------------- output folders

def _target(path) -> Path:
    """The absolute target folder (a symbolic link is followed: the folder it names is replaced)."""
    target = Path(os.path.realpath(os.path.abspath(os.fspath(path))))
    if not target.name or target.parent == target:
        raise FolderError(f"{path}: cannot be an output folder (a run replaces its whole folder); "
                          "choose a named folder with --out DIR")
    return target


def _size(n_bytes: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes:,.0f} bytes"


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _make_parent(target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in [*reversed(target.parents)] if p.exists() and not p.is_dir()), None)
        raise FolderError(f"{target}: cannot create its folder: {blocker or target.parent} is a file, "
                          "not a folder; remove it or choose another folder with --out DIR") from None
    except OSError as exc:
        raise FolderError(f"{target}: cannot create {target.parent} ({_reason(exc)}); choose a folder "
                          "you can write with --out DIR") from None


def check_folder(path, needed_bytes: float = 0.0) -> Path:
    """Check, before any computing, that a run can write ``path``: the preflight of :func:`staged_folder`.

    Creates the parent folder if needed, then checks that nothing but a folder is in the way, that
    the parent can be written (a probe file is created and removed), that an existing folder may be
    replaced (empty, or a run's folder: it holds :data:`RUN_MARKER` or an ``index.md``), that it is
    not the working folder, and that the disk has room for the outputs.

    Parameters
    ----------
    path : str or path
        The output folder.
    needed_bytes : float
        Estimated size of the outputs, bytes; :data:`DISK_MARGIN` times it (at least
        :data:`MIN_FREE_BYTES`) must be free.

    Returns
    -------
    pathlib.Path
        The absolute target folder.

    Raises
    ------
    FolderError
        With a one-line message naming the folder, the reason and the fix.
    """
    target = _target(path)
    if os.path.lexists(target) and not target.is_dir():
        raise FolderError(f"{target}: a file is in the way (not a folder); remove it or choose another "
                          "folder with --out DIR")
    _make_parent(target)
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.probe-{os.getpid()}-", dir=target.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise FolderError(f"{target}: cannot write in {target.parent} ({_reason(exc)}); choose a folder "
                          "you can write with --out DIR") from None
    cwd = Path.cwd().resolve()
    if cwd == target or target in cwd.parents:
        raise FolderError(f"{target}: is the working folder (or holds it); a run replaces its whole "
                          "output folder: choose another one with --out DIR")
    if target.is_dir() and not _replaceable(target):
        raise FolderError(f"{target}: exists and holds files that are not a constellations run (no "
                          f"index.md, no {RUN_MARKER}); a run replaces its whole output folder: choose "
                          "a new or empty folder with --out DIR, or delete this one")
    need = max(DISK_MARGIN * float(needed_bytes), MIN_FREE_BYTES)
    free = shutil.disk_usage(target.parent).free
    if free < need:
        raise FolderError(f"{target}: only {_size(free)} free on its disk, the run needs about "
                          f"{_size(need)}; free some space or choose a folder on another disk with "
                          "--out DIR")
    return target


def _replaceable(folder: Path) -> bool:
    with os.scandir(folder) as entries:
        names = {e.name for e in entries}
    return not names or RUN_MARKER in names or "index.md" in names


def _holder(fd: int) -> str:
    """Who holds a lock, from the lock file's contents (pid and start time)."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return f"process {int(info['pid'])}, started {str(info['started_utc'])[:20]}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that is just starting"


def _lock_file(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


def _acquire(target: Path) -> int:
    """Lock ``target`` (``flock`` on ``.NAME.lock`` next to it); the file holds our pid and start."""
    path = _lock_file(target)
    for _ in range(100):  # retried only if the file was replaced between open and lock
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise FolderError(f"{target}: cannot create the lock file {path} ({_reason(exc)}); choose a "
                              "folder you can write with --out DIR") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _holder(fd)
            os.close(fd)
            raise FolderError(f"{target}: another run is writing this folder ({who}); wait for it to "
                              "finish, or choose another folder with --out DIR") from None
        try:  # the previous holder deletes the file when done: lock the file that is still there
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({"pid": os.getpid(), "started_utc": _now()}).encode(), 0)
            return fd
        os.close(fd)
    raise FolderError(f"{target}: its lock file {path} keeps changing; another program is using it")


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextlib.contextmanager
def folder_lock(path):
    """Hold the lock of an output folder: refuse a second concurrent run into it (another process).

    Re-entrant within a process (a runner called by the command locks the folder the command has
    locked already). The lock file ``.NAME.lock`` is deleted on release.

    Raises
    ------
    FolderError
        Another process holds the lock: the message names the folder and that process.
    """
    target = _target(path)
    key = str(target)
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield target
        finally:
            _HELD[key][1] -= 1
        return
    _make_parent(target)
    fd = _acquire(target)
    _HELD[key] = [fd, 1]
    try:
        yield target
    finally:
        del _HELD[key]
        with contextlib.suppress(OSError):
            os.unlink(_lock_file(target))  # while locked: a waiting run re-opens the new file
        os.close(fd)


def _leftovers(target: Path):
    """Entries next to ``target`` named like our staging, previous and probe entries, not in use."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(?:staging|previous|probe)-\d+-[a-z0-9_]{{1,32}}")
    with os.scandir(target.parent) as entries:
        for entry in entries:
            if pattern.fullmatch(entry.name) and os.path.join(target.parent, entry.name) not in _ACTIVE:
                yield entry


def _remove(entry) -> None:
    """Remove one leftover: a folder with everything in it, a file or a link (never followed)."""
    with contextlib.suppress(FileNotFoundError):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); False where it is not available."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


@contextlib.contextmanager
def _signals_held():
    """Delay SIGINT and SIGTERM over a few renames (the swap is not left half done)."""
    held = {signal.SIGINT, signal.SIGTERM}
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _swap(staging: Path, target: Path) -> None:
    """Put ``staging`` in the place of ``target``; the old target ends at the ``staging`` path or is
    gone."""
    with _signals_held():
        if not target.is_dir():
            os.rename(staging, target)
            return
        if _exchange(staging, target):
            return
        previous = target.parent / f".{target.name}.previous-{os.getpid()}-{secrets.token_hex(4)}"
        os.rename(target, previous)
        try:
            os.rename(staging, target)
        except BaseException:
            os.rename(previous, target)
            raise
        os.rename(previous, staging)


@contextlib.contextmanager
def staged_folder(path, *, needed_bytes: float = 0.0, what: str = "run"):
    """Write an output folder all at once: yield a fresh staging folder, swap it in on success.

    Under :func:`folder_lock`: removes the leftovers of killed runs into the same folder, runs the
    preflight :func:`check_folder`, creates ``.NAME.staging-PID-RANDOM`` next to the target (with
    :data:`RUN_MARKER`) and yields it. When the block ends normally the staging folder replaces the
    target in one atomic exchange and the previous run is deleted; when it raises (an error, Ctrl-C,
    SIGTERM) the staging folder is deleted and the target stays as it was.

    Parameters
    ----------
    path : str or path
        The output folder.
    needed_bytes : float
        Estimated size of the outputs (disk-space preflight).
    what : str
        What is written, for the marker file.

    Yields
    ------
    pathlib.Path
        The staging folder to write into; paths in it become paths in the target
        (:func:`relocate`).

    Raises
    ------
    FolderError
        Before anything is written: busy, in the way, not writable, not a run's folder, no space.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with staged_folder(out) as stage:
    ...     _ = (stage / "index.md").write_text("# done")
    >>> sorted(p.name for p in out.iterdir())
    ['.constellations-run', 'index.md']
    """
    with folder_lock(path) as target:
        for entry in _leftovers(target):
            _remove(entry)
        check_folder(target, needed_bytes)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-{os.getpid()}-", dir=target.parent))
        _ACTIVE.add(str(staging))
        try:
            os.chmod(staging, 0o777 & ~_umask())
            (staging / RUN_MARKER).write_text(json.dumps({"pid": os.getpid(), "started_utc": _now(),
                                                          "what": what}) + "\n", encoding="utf-8")
            yield staging
            _swap(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # the failed run, or the previous one
            _ACTIVE.discard(str(staging))


def relocate(value, staging, target):
    """Paths under ``staging`` in a (nested) dict, list or tuple, moved under ``target``.

    Examples
    --------
    >>> relocate({"a": [Path("/x/.r.staging-1-ab/f.nc")]}, "/x/.r.staging-1-ab", "/x/r")
    {'a': [PosixPath('/x/r/f.nc')]}
    """
    staging, target = Path(staging), Path(target)
    if isinstance(value, dict):
        return {k: relocate(v, staging, target) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(relocate(v, staging, target) for v in value)
    if isinstance(value, Path):
        try:
            return target / value.relative_to(staging)
        except ValueError:
            return value
    return value
