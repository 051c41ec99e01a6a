"""The git store on its own: one commit per call, no empty commits, one writer at a time, push races."""

from __future__ import annotations

import threading

import pygit2
import pytest

from netcron.lib.gitstore import Change, GitStore, LockTimeout, Remote, check_url, redact_url
from tests.backup.conftest import commits, tree_files


def test_unchanged_files_make_no_commit_and_changed_ones_report_line_counts(tmp_path):
    store = GitStore(tmp_path / "repo")
    with store.locked():
        first = store.commit([Change("a.cfg", b"one\ntwo\n"), Change("b.cfg", b"x\n")], "first")
        again = store.commit([Change("a.cfg", b"one\ntwo\n")], "nothing")
        third = store.commit([Change("a.cfg", b"one\n2\nthree\n"), Change("b.cfg", b"x\n")], "third")
    assert first.files["a.cfg"].status == "added" and first.files["a.cfg"].line_count == 2
    assert again.commit is None and again.head == first.commit
    a = third.files["a.cfg"]
    assert (a.status, a.lines_added, a.lines_removed) == ("modified", 2, 1)
    assert third.files["b.cfg"].status == "unchanged"
    assert (tmp_path / "repo" / "a.cfg").read_text() == "one\n2\nthree\n"  # the working tree follows


def test_parallel_writers_to_one_repository_queue_on_the_lock_and_lose_nothing(tmp_path):
    errors = []

    def writer(n: int) -> None:
        store = GitStore(tmp_path / "repo")  # each writer its own object, as separate workers would have
        try:
            for i in range(5):
                with store.locked():
                    store.commit([Change(f"w{n}/f{i}.cfg", f"{n}-{i}\n".encode())], f"writer {n} #{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    repo = pygit2.Repository(str(tmp_path / "repo"))
    history = commits(repo)
    assert len(history) == 30 and all(len(c.parents) <= 1 for c in history)
    assert len(tree_files(history[0])) == 30


def test_a_second_writer_gives_up_after_its_lock_timeout(tmp_path):
    store = GitStore(tmp_path / "repo")
    with store.locked(), pytest.raises(LockTimeout), GitStore(tmp_path / "repo").locked(timeout=0.2):
        pass


def test_a_push_race_is_merged_and_pushed_again_keeping_both_commits(tmp_path, monkeypatch):
    remote_path = tmp_path / "remote.git"
    pygit2.init_repository(str(remote_path), bare=True)
    url = f"file://{remote_path}"
    ours, theirs = GitStore(tmp_path / "ours", remote=Remote(url)), GitStore(tmp_path / "theirs", remote=Remote(url))
    with ours.locked():
        base = ours.commit([Change("a.cfg", b"a\n")], "base")
    with theirs.locked():
        other = theirs.commit([Change("b.cfg", b"b\n")], "theirs")
    # Our clone does not see their push before committing (it lands between our fetch and our push).
    real_sync = GitStore._sync
    calls = []
    monkeypatch.setattr(GitStore, "_sync", lambda self, repo: calls.append(1) or ("" if len(calls) == 1
                                                                                   else real_sync(self, repo)))
    with ours.locked():
        mine = ours.commit([Change("a.cfg", b"a2\n")], "ours")
    assert mine.pushed, mine.push_error
    remote = pygit2.Repository(str(remote_path))
    head = remote[remote.references["refs/heads/main"].target]
    assert {str(p.id) for p in head.parents} == {mine.commit, other.commit}
    assert tree_files(head) == {"a.cfg": b"a2\n", "b.cfg": b"b\n"}
    assert base.commit in {str(c.id) for c in remote.walk(head.id)}


def test_urls_are_redacted_in_messages_and_remote_helpers_are_refused():
    assert redact_url("https://bob:s3cret@git.example.com/x.git") == "https://git.example.com/x.git"
    for bad in ("ext::sh -c id", "fd::17", "relative/path", "-uhttps://x"):
        with pytest.raises(ValueError):
            check_url(bad)
    assert check_url("git@github.com:org/configs.git")
