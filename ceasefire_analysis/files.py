"""Writing files and folders so that a reader sees the old content or the new, never a part."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

_ATTEMPTS = 100  # random names tried before giving up (a clash is already unlikely on the first)


def write_text_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old content or the new, never a part.

    The temporary file is created with mode 0666 so the process umask applies as for any new file;
    the umask itself is never changed.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> write_text_atomic(target, "hello\\n"); target.read_text()
    'hello\\n'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(_ATTEMPTS):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"no free temporary name beside {path}")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def new_private_dir(parent: Path, prefix: str) -> Path:
    """A new, empty folder with a random name starting ``prefix`` in ``parent``, with the usual permissions.

    Unlike ``tempfile.mkdtemp`` (which makes 0700 folders) the folder gets mode 0777 less the umask,
    so published folders are readable as any other the user makes.
    """
    for _ in range(_ATTEMPTS):
        folder = Path(parent) / f"{prefix}{secrets.token_hex(6)}"
        try:
            os.mkdir(folder, 0o777)
            return folder
        except FileExistsError:
            continue
    raise FileExistsError(f"no free folder name starting {prefix} in {parent}")


def keep_out_of_git(folder: Path) -> None:
    """Give ``folder`` a ``.gitignore`` holding ``*``, so that nothing in it (records of people, in a cache) is
    ever picked up by ``git add``, wherever the folder is. An existing one is left as it is.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()); keep_out_of_git(folder); (folder / ".gitignore").read_text()
    '# written by ceasefire: git ignores everything in this folder\\n*\\n'
    """
    path = Path(folder) / ".gitignore"
    if not path.exists():
        write_text_atomic(path, "# written by ceasefire: git ignores everything in this folder\n*\n")
