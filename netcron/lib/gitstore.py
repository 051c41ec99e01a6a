"""A git repository of text files (device configs) written by one writer at a time, with pygit2.

Usage::

    store = GitStore("/var/lib/netcron/configs", remote=Remote("file:///srv/configs.git"))
    with store.locked():
        result = store.commit([Change("dc1/r1.running.cfg", b"...")], "backup: 1 changed")

- One commit per call, holding every changed file; unchanged files make no diff and, if nothing
  changed, no commit at all (``result.commit is None``).
- ``locked()`` is an exclusive ``flock`` on a lock file next to the repository: parallel writers (threads
  or worker processes on one host) queue up instead of corrupting the index or racing on the branch.
- With a remote, the local repository is a clone: it is brought up to date before writing (fast-forward,
  or a merge commit if someone else pushed) and pushed after; a push rejected by a concurrent push is
  merged and retried. Commits are never rewritten, so commit ids handed out earlier stay valid.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pygit2
from pygit2.enums import FileMode, MergeFavor

__all__ = ["Change", "CommitResult", "FileResult", "GitStore", "GitStoreError", "LockTimeout", "Remote",
           "redact_url"]

_ALLOWED_URL = re.compile(r"^(?:file|ssh|https?|git)://|^[\w.\-]+@[\w.\-]+:|^/")


class GitStoreError(Exception):
    """The repository could not be read, written, fetched or pushed; the message is for users."""


class LockTimeout(GitStoreError):
    """Another writer held the repository lock for longer than we were willing to wait."""


def redact_url(url: str) -> str:
    """The URL without user info, for messages and logs."""
    return re.sub(r"^([a-z+]+://)[^/@]*@", r"\1", url)


def check_url(url: str) -> str:
    """Accept file/ssh/http(s)/git URLs, scp-style ``user@host:path`` and absolute paths; no helpers."""
    if not _ALLOWED_URL.match(url) or "::" in url.split("/", 1)[0] or "\x00" in url:
        raise ValueError("must be a file://, ssh://, https:// or git:// URL, user@host:path or an absolute path")
    return url


@dataclass(frozen=True)
class Remote:
    url: str
    username: str = ""
    password: str = field(default="", repr=False)
    private_key: str = field(default="", repr=False)
    passphrase: str = field(default="", repr=False)


@dataclass(frozen=True)
class Change:
    """Write ``data`` at ``path`` (repository-relative, already checked); ``replaces`` are deleted."""

    path: str
    data: bytes
    replaces: tuple[str, ...] = ()


@dataclass
class FileResult:
    path: str
    status: str  # added | modified | unchanged
    blob: str
    lines_added: int = 0
    lines_removed: int = 0
    line_count: int = 0
    size: int = 0


@dataclass
class CommitResult:
    commit: str | None  # the new commit, None when nothing changed
    head: str | None  # the branch head afterwards (where unchanged files live)
    committed_at: datetime | None
    files: dict[str, FileResult]
    pushed: bool = False
    push_error: str = ""
    sync_error: str = ""
    worktree_error: str = ""  # the commit is safe, but the checked-out files could not be updated


class _Callbacks(pygit2.RemoteCallbacks):
    """Supplies credentials at most a few times (libgit2 asks again after a rejection) and notes
    references the remote refused to update."""

    def __init__(self, remote: Remote) -> None:
        super().__init__()
        self.remote = remote
        self.asked = 0
        self.rejected: dict[str, str] = {}

    def credentials(self, url, username_from_url, allowed_types):
        self.asked += 1
        if self.asked > 3:
            raise GitStoreError("authentication failed")
        user = self.remote.username or username_from_url or "git"
        if allowed_types & pygit2.enums.CredentialType.SSH_KEY and self.remote.private_key:
            return pygit2.KeypairFromMemory(user, None, self.remote.private_key, self.remote.passphrase or "")
        if allowed_types & pygit2.enums.CredentialType.USERPASS_PLAINTEXT and self.remote.password:
            return pygit2.UserPass(user, self.remote.password)
        raise GitStoreError("the remote asks for credentials this credential does not have")

    def push_update_reference(self, refname, message):
        if message:
            self.rejected[refname] = message


class GitStore:
    def __init__(self, path: str | os.PathLike[str], *, branch: str = "main", remote: Remote | None = None,
                 author: tuple[str, str] = ("netcron", "netcron@localhost")) -> None:
        self.path = Path(path)
        self.branch = branch
        self.remote = remote
        self.author = author
        self.ref = f"refs/heads/{branch}"

    # locking ---------------------------------------------------------------------------------------

    @property
    def lock_path(self) -> Path:
        return self.path.parent / f".{self.path.name}.lock"

    @contextlib.contextmanager
    def locked(self, timeout: float = 600.0) -> Iterator[None]:
        """Hold the repository's writer lock (blocking up to ``timeout`` seconds)."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeout(f"repository {self.path} is locked by another writer") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # opening ---------------------------------------------------------------------------------------

    def open(self) -> pygit2.Repository:
        """The repository, created on first use (with ``origin`` pointing at the remote, if any)."""
        try:
            if (self.path / ".git").exists() or (self.path / "HEAD").exists():
                repo = pygit2.Repository(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                repo = pygit2.init_repository(str(self.path), initial_head=self.branch)
        except pygit2.GitError as exc:
            raise GitStoreError(f"cannot open repository {self.path}: {exc}") from None
        if self.remote is not None:
            names = list(repo.remotes.names())
            if "origin" not in names:
                repo.remotes.create("origin", self.remote.url)
            elif repo.remotes["origin"].url != self.remote.url:
                repo.remotes.set_url("origin", self.remote.url)
        return repo

    def head(self, repo: pygit2.Repository) -> pygit2.Commit | None:
        ref = repo.references.get(self.ref)
        return repo[ref.target] if ref is not None else None

    # writing (hold the lock) -----------------------------------------------------------------------

    def commit(self, changes: Iterable[Change], message: str | Callable[[dict[str, FileResult]], str]
               ) -> CommitResult:
        """Write ``changes`` as one commit on the branch (none if nothing changed); push if remote.

        ``message`` may be a function of the per-file results, so it can say what changed.
        """
        repo = self.open()
        sync_error = self._sync(repo) if self.remote is not None else ""
        changes_list = list(changes)
        parent = self.head(repo)
        base_tree = parent.tree if parent is not None else None
        try:
            # Objects are written before the branch moves (libgit2 writes each to a temporary file and
            # renames it), so a write that fails here, e.g. on a full disk, leaves the branch as it was.
            self._resync_worktree(repo, parent)
            index = pygit2.Index()
            if base_tree is not None:
                index.read_tree(base_tree)
            files: dict[str, FileResult] = {}
            removed: list[str] = []
            for change in changes_list:
                files[change.path] = self._stage(repo, index, base_tree, change)
                for old in change.replaces:
                    if old != change.path and old in index:
                        index.remove(old)
                        removed.append(old)
            changed = [f for f in files.values() if f.status != "unchanged"]
            if not changed and not removed:
                head = str(parent.id) if parent is not None else None
                return CommitResult(None, head, None, files, *self._push_pending(repo), sync_error=sync_error)
            tree = index.write_tree(repo)
            sig = pygit2.Signature(*self.author)
            text = message(files) if callable(message) else message
            commit_id = repo.create_commit(self.ref, sig, sig, text, tree, [parent.id] if parent else [])
        except (pygit2.GitError, OSError) as exc:
            raise self._write_error(exc, changes_list) from None
        written = {c.path: c.data for c in changes_list if files[c.path].status != "unchanged"}
        try:
            self._update_worktree(repo, repo[tree], written, removed)
            worktree_error = ""
        except (pygit2.GitError, OSError) as exc:
            # The commit is made; only the files people browse are behind. The next commit catches up.
            worktree_error = f"committed, but the checked-out files could not be updated: " \
                             f"{self._write_error(exc, changes_list)}"
        pushed, push_error = self._push(repo) if self.remote is not None else (False, "")
        commit = repo[commit_id]
        when = datetime.fromtimestamp(commit.commit_time, UTC)
        return CommitResult(str(commit_id), str(self.head(repo).id), when, files, pushed, push_error,
                            sync_error, worktree_error)

    def _write_error(self, exc: BaseException, changes: list[Change]) -> GitStoreError:
        """A message that names the cause: libgit2 often reports a full disk as just "no error"."""
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return GitStoreError(f"cannot write to repository {self.path}: no space left on device")
        try:
            fs = os.statvfs(self.path if self.path.exists() else self.path.parent)
        except OSError:
            fs = None
        if fs is not None:
            needed = max((len(c.data) for c in changes), default=0) + 64 * 1024
            if fs.f_bavail * fs.f_frsize < needed:
                free = fs.f_bavail * fs.f_frsize
                return GitStoreError(f"cannot write to repository {self.path}: no space left on device "
                                     f"({free} bytes free)")
            if fs.f_files and fs.f_favail == 0:
                return GitStoreError(f"cannot write to repository {self.path}: no free inodes left on device")
        return GitStoreError(f"cannot write to repository {self.path}: {exc}")

    def _stage(self, repo, index: pygit2.Index, base_tree, change: Change) -> FileResult:
        lines = change.data.count(b"\n") + (0 if change.data.endswith(b"\n") or not change.data else 1)
        old = _entry(base_tree, change.path)
        if old is not None:
            oid = pygit2.hash(change.data)
            if old.id == oid:
                return FileResult(change.path, "unchanged", str(oid), line_count=lines, size=len(change.data))
        oid = repo.create_blob(change.data)
        index.add(pygit2.IndexEntry(change.path, oid, FileMode.BLOB))
        if old is None or old.type_str != "blob":
            return FileResult(change.path, "added", str(oid), lines, 0, lines, len(change.data))
        _, added, deleted = repo[old.id].diff(repo[oid]).line_stats
        return FileResult(change.path, "modified", str(oid), added, deleted, lines, len(change.data))

    def _resync_worktree(self, repo, head) -> None:
        """Bring the checked-out files back in step with the branch after an update of them failed."""
        if head is None or repo.is_bare or repo.head_is_detached or repo.references.get("HEAD").target != self.ref:
            return
        if len(repo.index.diff_to_tree(head.tree)):  # the index is only written after a complete update
            repo.checkout(self.ref, strategy=pygit2.enums.CheckoutStrategy.FORCE)

    def _update_worktree(self, repo, tree, written: dict[str, bytes], removed: list[str]) -> None:
        """Keep the checked-out files in step, for people who browse the repository on disk."""
        if repo.is_bare or repo.head_is_detached or repo.references.get("HEAD").target != self.ref:
            return
        root = Path(repo.workdir)
        for path, data in written.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        for path in removed:
            with contextlib.suppress(FileNotFoundError):
                (root / path).unlink()
        repo.index.read_tree(tree)
        repo.index.write()

    # remote ----------------------------------------------------------------------------------------

    def _sync(self, repo: pygit2.Repository) -> str:
        """Bring the branch up to date with the remote's; returns an error message instead of raising."""
        try:
            self._fetch(repo)
        except GitStoreError as exc:
            return str(exc)
        theirs_ref = repo.references.get(f"refs/remotes/origin/{self.branch}")
        if theirs_ref is None:
            return ""
        theirs = theirs_ref.target
        ours_ref = repo.references.get(self.ref)
        if ours_ref is None or ours_ref.target == theirs or repo.descendant_of(theirs, ours_ref.target):
            repo.references.create(self.ref, theirs, force=True)
            self._checkout(repo)
        elif not repo.descendant_of(ours_ref.target, theirs):
            self._merge(repo, ours_ref.target, theirs)
        return ""

    def _merge(self, repo, ours, theirs) -> None:
        # Someone else pushed: keep both histories (commit ids we recorded stay reachable); ours wins
        # conflicts because it is the newest copy of the device's config.
        index = repo.merge_commits(ours, theirs, favor=MergeFavor.OURS)
        tree = index.write_tree(repo)
        sig = pygit2.Signature(*self.author)
        repo.create_commit(self.ref, sig, sig, f"merge {self.branch} of {redact_url(self.remote.url)}", tree,
                           [ours, theirs])
        self._checkout(repo)

    def _checkout(self, repo) -> None:
        if repo.is_bare:
            return
        if repo.references.get("HEAD").target == self.ref:
            repo.checkout(self.ref, strategy=pygit2.enums.CheckoutStrategy.FORCE)

    def _fetch(self, repo) -> None:
        callbacks = _Callbacks(self.remote)
        try:
            repo.remotes["origin"].fetch([f"+{self.ref}:refs/remotes/origin/{self.branch}"], callbacks=callbacks)
        except (pygit2.GitError, GitStoreError) as exc:
            raise GitStoreError(f"fetch from {redact_url(self.remote.url)} failed: {exc}") from None

    def _push(self, repo) -> tuple[bool, str]:
        error = ""
        for _ in range(3):
            callbacks = _Callbacks(self.remote)
            try:
                repo.remotes["origin"].push([f"{self.ref}:{self.ref}"], callbacks=callbacks)
            except (pygit2.GitError, GitStoreError) as exc:
                error = f"push to {redact_url(self.remote.url)} failed: {exc}"
                if "non-fast-forward" not in str(exc) and "not present locally" not in str(exc):
                    return False, error
            else:
                if not callbacks.rejected:
                    return True, ""
                error = f"push to {redact_url(self.remote.url)} rejected: {callbacks.rejected}"
            # A concurrent push won the race: merge it and try again.
            sync_error = self._sync(repo)
            if sync_error:
                return False, sync_error
        return False, error

    def _push_pending(self, repo) -> tuple[bool, str]:
        """Nothing new to commit, but an earlier push may have failed: push if we are ahead."""
        if self.remote is None:
            return False, ""
        ours = repo.references.get(self.ref)
        theirs = repo.references.get(f"refs/remotes/origin/{self.branch}")
        if ours is None or (theirs is not None and theirs.target == ours.target):
            return False, ""
        return self._push(repo)

    # reading (no lock needed: objects are immutable, refs are updated atomically) ------------------

    def read_blob(self, blob_id: str) -> bytes:
        repo = self.open_for_read()
        try:
            return repo[blob_id].data
        except (KeyError, ValueError):
            if self.remote is not None and self.path.exists():
                with self.locked(60):
                    self._fetch(repo)
                with contextlib.suppress(KeyError, ValueError):
                    return repo[blob_id].data
            raise GitStoreError(f"object {blob_id[:12]} is not in repository {self.path}") from None

    def open_for_read(self) -> pygit2.Repository:
        """Open for reading; a remote-backed store missing on this host is cloned first."""
        if not self.path.exists():
            if self.remote is None:
                raise GitStoreError(f"repository {self.path} does not exist on this host")
            with self.locked(120):
                repo = self.open()
                self._fetch(repo)
                return repo
        try:
            return pygit2.Repository(str(self.path))
        except pygit2.GitError as exc:
            raise GitStoreError(f"cannot open repository {self.path}: {exc}") from None


def _entry(tree, path: str):
    if tree is None:
        return None
    try:
        return tree[path]
    except KeyError:
        return None


def diff_blobs(old: bytes | None, new: bytes, old_label: str, new_label: str,
               context: int = 3) -> tuple[str, int, int]:
    """Unified diff of two texts (git's algorithm) and the added/removed line counts."""
    patch = pygit2.Patch.create_from(old, new, old_as_path=old_label, new_as_path=new_label,
                                     context_lines=context)
    _, added, removed = patch.line_stats
    return patch.text or "", added, removed
