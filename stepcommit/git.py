"""Every git call stepcommit makes: small named functions over machine-readable output."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from stepcommit import proc
from stepcommit.errors import GitError, NotARepository, RepositoryStateError

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
HOOK_ENV = ("GIT_INDEX_FILE", "GIT_DIR", "GIT_WORK_TREE", "GIT_PREFIX", "GIT_COMMON_DIR")
"""What git sets for a hook, about the commit being made: a process about another tree (a throw-away
checkout, the project's tests, which may run git in repositories of their own) must not inherit it."""


def without_hook_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without git's hook variables (HOOK_ENV)."""
    return {k: v for k, v in env.items() if k not in HOOK_ENV}


@contextlib.contextmanager
def hook_env_set_aside() -> Iterator[None]:
    """Git's hook variables out of this process's environment for the block, then back: for work on
    another checkout from inside a hook (git gives a plain commit's hook ``GIT_INDEX_FILE=.git/index``,
    which in a linked worktree, whose ``.git`` is a file, every git command refuses)."""
    kept = {name: os.environ.pop(name) for name in HOOK_ENV if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(kept)


def _git(
    root: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input: str | None = None,
    isolated: bool = False,
) -> proc.Completed:
    full_env = None
    if env or isolated:
        full_env = {**os.environ, **(env or {})}
    if full_env is not None and isolated:
        # Inside a git hook, git points these at the repository being committed; a command about
        # another work tree (a throw-away checkout) must not inherit them.
        full_env = without_hook_env(full_env)
    result = proc.run(["git", *args], cwd=root, env=full_env, check=False, input=input)
    if check and result.returncode != 0:
        raise GitError(
            f"git {' '.join(args[:3])} failed (exit {result.returncode}):\n"
            f"{(result.stderr or result.stdout).strip()}",
            hint="Fix what git reports above, then run the stepcommit command again.",
        )
    return result


@dataclass(frozen=True)
class Repo:
    """Where the work tree and the git directory are."""

    root: Path
    git_dir: Path


def find_repo(cwd: Path | None = None) -> Repo:
    where = cwd or Path.cwd()
    result = proc.run(["git", "rev-parse", "--show-toplevel", "--absolute-git-dir"], cwd=where, check=False)
    if result.returncode != 0:
        raise _not_a_repository(where)
    top, git_dir = result.stdout.splitlines()[:2]
    return Repo(Path(top), Path(git_dir))


def _not_a_repository(where: Path) -> NotARepository:
    return NotARepository(
        f"{where} is not inside a git repository.",
        hint="Run `git init` (and commit once) or cd into your project first.",
    )


def find_repo_at_head(cwd: Path | None = None) -> tuple[Repo, str | None, str | None]:
    """`find_repo`, the checked-out branch (`current_branch`) and HEAD's commit (`head_commit`),
    from one git process: `rev-parse` prints one answer a line, in order. On an unborn branch (its
    HEAD^{commit} fails) the two are looked up apart, as before."""
    where = cwd or Path.cwd()
    result = proc.run(["git", "rev-parse", "--show-toplevel", "--absolute-git-dir", "HEAD^{commit}",
                       "--abbrev-ref=loose", "HEAD"], cwd=where, check=False)  # fmt: skip
    lines = result.stdout.splitlines()
    if len(lines) < 2:  # no work tree found: git stopped before the first answer
        raise _not_a_repository(where)
    repo = Repo(Path(lines[0]), Path(lines[1]))
    if result.returncode != 0 or len(lines) != 4 or not _is_object_id(lines[2]):
        return repo, current_branch(repo.root), head_commit(repo.root)
    # `--abbrev-ref=loose` shortens as `symbolic-ref --short` does; a detached HEAD stays "HEAD".
    return repo, None if lines[3] == "HEAD" else lines[3], lines[2]


def _is_object_id(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def current_branch(root: Path) -> str | None:
    """The checked-out branch, or None when HEAD is detached."""
    result = _git(root, "symbolic-ref", "-q", "--short", "HEAD", check=False)
    return result.stdout.strip() or None


def rev_parse(root: Path, rev: str) -> str | None:
    result = _git(root, "rev-parse", "-q", "--verify", f"{rev}^{{commit}}", check=False)
    return result.stdout.strip() or None


def parents(root: Path, commit: str) -> list[str]:
    """The parent commits of ``commit``, in order."""
    return _git(root, "rev-list", "--parents", "-n", "1", commit).stdout.split()[1:]


def head_commit(root: Path) -> str | None:
    """HEAD's commit id, or None on an unborn branch."""
    return rev_parse(root, "HEAD")


_OPERATIONS = (
    ("MERGE_HEAD", "a merge", "git merge --continue` or `git merge --abort"),
    ("rebase-merge", "a rebase", "git rebase --continue` or `git rebase --abort"),
    ("rebase-apply", "a rebase or `git am`", "git rebase --continue` or `git rebase --abort"),
    ("CHERRY_PICK_HEAD", "a cherry-pick", "git cherry-pick --continue` or `git cherry-pick --abort"),
    ("REVERT_HEAD", "a revert", "git revert --continue` or `git revert --abort"),
    ("BISECT_LOG", "a bisect", "git bisect reset"),
)


def operation_in_progress(git_dir: Path) -> tuple[str, str] | None:
    """(what, how to end it) when git is in the middle of a merge, rebase, cherry-pick..."""
    for marker, what, how in _OPERATIONS:
        if (git_dir / marker).exists():
            return what, how
    return None


def refuse_index_lock(git_dir: Path) -> None:
    """Refuse to begin while `.git/index.lock` exists: a git command is running, or one was killed
    and left it; every git command that writes the index would fail half-way otherwise."""
    import time

    path = git_dir / "index.lock"
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return
    when = f"{age:.0f} seconds" if age < 120 else f"{age / 60:.0f} minutes"
    running = git_processes_in(git_dir.parent if git_dir.name == ".git" else git_dir)
    if running:
        raise RepositoryStateError(
            f"git's index is locked: {path} exists (created {when} ago) and a git command is running in "
            f"this repository: {running[0]}.",
            hint="Wait for it to end (or close the editor it opened), then run the stepcommit command again.",
        )
    raise RepositoryStateError(
        f"git's index is locked: {path} exists (created {when} ago) and no git command is running in "
        "this repository: a git that was killed (a crash, Ctrl-C, a closed terminal) left it behind, "
        "and git refuses to change the index while it is there.",
        hint=f"Delete the stale lock: `rm {path}`, then run the stepcommit command again "
        "(`stepcommit status` says where things stand). Nothing was changed.",
    )


def git_processes_in(root: Path) -> list[str]:
    """Running git commands whose working folder is inside ``root`` ("pid N: git ..."), as far as
    /proc shows them (empty where there is no /proc)."""
    found = []
    target = root.resolve()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if not argv or Path(argv[0].decode(errors="replace")).name != "git":
                continue
            cwd = Path(os.readlink(entry / "cwd")).resolve()
        except OSError:
            continue
        if cwd == target or cwd.is_relative_to(target):
            found.append(
                f"pid {entry.name}: " + " ".join(a.decode(errors="replace") for a in argv if a)[:120]
            )
    return found


def ensure_ready(repo: Repo) -> str:
    """The current branch, after refusing a state in which a step cannot begin or end."""
    refuse_index_lock(repo.git_dir)
    busy = operation_in_progress(repo.git_dir)
    if busy:
        what, how = busy
        raise RepositoryStateError(
            f"The repository is in the middle of {what}.",
            hint=f"Finish it first (`{how}`), then run stepcommit again.",
        )
    branch = current_branch(repo.root)
    if branch is None:
        raise RepositoryStateError(
            "HEAD is detached: there is no branch to start a step from or merge it back into.",
            hint="Switch to a branch first, e.g. `git switch main`.",
        )
    if head_commit(repo.root) is None:
        raise RepositoryStateError(
            f"Branch {branch!r} has no commits yet.",
            hint="Make a first commit (e.g. `git add -A && git commit -m 'chore: initial commit'`).",
        )
    return branch


def branch_exists(root: Path, name: str) -> bool:
    return _git(root, "show-ref", "--verify", "-q", f"refs/heads/{name}", check=False).returncode == 0


def valid_branch_name(root: Path, name: str) -> bool:
    return _git(root, "check-ref-format", "--branch", name, check=False).returncode == 0


def create_branch(root: Path, name: str) -> None:
    """Create ``name`` at HEAD and switch to it; uncommitted changes come along."""
    _git(root, "switch", "-q", "-c", name)


def switch(root: Path, name: str) -> None:
    _git(root, "switch", "-q", name)


def delete_branch(root: Path, name: str) -> None:
    _git(root, "branch", "-q", "-D", name)


def has_identity(root: Path) -> bool:
    name = _git(root, "config", "user.name", check=False).stdout.strip()
    email = _git(root, "config", "user.email", check=False).stdout.strip()
    return bool(name and email)


@dataclass(frozen=True)
class Change:
    """One changed path: status letter as git prints it (A, M, D, R, T), path, and old path for renames."""

    status: str
    path: str
    old_path: str | None = None
    added: int = 0
    deleted: int = 0


@dataclass(frozen=True)
class Snapshot:
    """What a commit of the whole work tree would hold, made without touching the real index."""

    tree: str
    changes: tuple[Change, ...]
    tree_with_file: str | None = None
    """``tree`` with the file asked for (``snapshot(with_file=...)``) holding its text; else None."""

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(c.path for c in self.changes)


def _new_private_file(folder: Path, prefix: str) -> str:
    """Create an empty file of this process's own in ``folder`` (as `tempfile.mkstemp` does, without
    loading tempfile, random and shutil for every `status`)."""
    while True:
        name = str(folder / f"{prefix}{os.getpid()}-{os.urandom(6).hex()}")
        try:
            os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
        return name


@contextlib.contextmanager
def temporary_index(repo: Repo) -> Iterator[dict[str, str]]:
    """A copy of the index to stage into freely; yields the environment that points git at it."""
    name = _new_private_file(repo.git_dir, "stepcommit-index-")
    try:
        real = repo.git_dir / "index"
        try:
            data, stat = real.read_bytes(), real.stat()
        except FileNotFoundError:
            os.unlink(name)
        else:
            with open(name, "wb") as copy:
                copy.write(data)
            # With the index's own mtime: git trusts a file's cached stat only when the file is older
            # than the index, and a fresh copy would make a same-second, same-size edit look unchanged.
            os.utime(name, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        yield {"GIT_INDEX_FILE": name}
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def _parse_name_status(out: str) -> list[tuple[str, str, str | None]]:
    fields = out.split("\0")
    parsed: list[tuple[str, str, str | None]] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i]
        if status[0] in "RC":
            parsed.append((status[0], fields[i + 2], fields[i + 1]))
            i += 3
        else:
            parsed.append((status[0], fields[i + 1], None))
            i += 2
    return parsed


def _parse_numstat(out: str) -> dict[str, tuple[int, int]]:
    counts: dict[str, tuple[int, int]] = {}
    fields = out.split("\0")
    i = 0
    while i < len(fields) and fields[i]:
        added, deleted, path = fields[i].split("\t", 2)
        if not path:  # a rename: old and new path follow as their own fields
            path = fields[i + 2]
            i += 3
        else:
            i += 1
        counts[path] = (int(added) if added != "-" else 0, int(deleted) if deleted != "-" else 0)
    return counts


def snapshot(
    repo: Repo, base: str | None = None, *, counts: bool = True, with_file: tuple[str, str] | None = None
) -> Snapshot:
    """Stage everything (tracked, untracked not ignored, deletions) into a throw-away index.

    The result's tree id names exactly what a commit of the work tree would contain; the
    user's own index and files are untouched. ``counts=False`` skips the added/deleted line
    counts (one git process fewer). ``with_file=(path, text)`` also gives, as `tree_with_file`,
    that tree with ``path`` holding ``text``: staged into the same index (no second read-tree).
    """
    against = base or head_commit(repo.root) or EMPTY_TREE
    ticked = None
    with temporary_index(repo) as env:
        _git(repo.root, "add", "-A", env=env)
        tree = _git(repo.root, "write-tree", env=env).stdout.strip()
        if with_file is not None:
            path, content = with_file
            _stage_text(repo, path, content, env)
            ticked = _git(repo.root, "write-tree", env=env).stdout.strip()
    names = _git(repo.root, "diff-tree", "-r", "-z", "--name-status", "-M", against, tree).stdout
    stats = (
        _git(repo.root, "diff-tree", "-r", "-z", "--numstat", "-M", against, tree).stdout if counts else ""
    )
    numbers = _parse_numstat(stats)
    changes = tuple(
        Change(status, path, old, *numbers.get(path, (0, 0)))
        for status, path, old in _parse_name_status(names)
    )
    return Snapshot(tree, changes, ticked)


def _stage_text(repo: Repo, path: str, content: str, env: Mapping[str, str]) -> None:
    """Put ``content`` (UTF-8; clean filters applied as `git add` would) at ``path`` in the index ``env`` names."""
    blob = _git(repo.root, "hash-object", "-w", "--stdin", f"--path={path}", input=content).stdout.strip()
    mode = "100755" if os.access(repo.root / path, os.X_OK) else "100644"
    _git(repo.root, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=env)


def stage_all(root: Path) -> None:
    _git(root, "add", "-A", isolated=True)


def commit(root: Path, message_file: Path) -> str:
    """Commit the index through the repository's hooks; returns the new commit id."""
    result = _git(root, "commit", "-q", "--cleanup=whitespace", "-F", str(message_file), check=False)
    if result.returncode != 0:
        raise GitError(
            "git commit was refused"
            + (" by a hook" if "hook" in (result.stderr + result.stdout).lower() else "")
            + f":\n{(result.stderr + result.stdout).strip()}",
            hint="Nothing was committed and your files are as they were. Fix the cause and run it again.",
        )
    head = head_commit(root)
    assert head is not None
    return head


def save_work_on_branch(repo: Repo, branch: str, message: str) -> str | None:
    """Record every uncommitted change as a commit on ``branch`` (the current one) without hooks.

    Used to park a step's work safely; returns the new commit, or None when nothing changed.
    The files on disk are not touched.
    """
    head = head_commit(repo.root)
    assert head is not None
    snap = snapshot(repo)
    if not snap.changes:
        return None
    new = _git(repo.root, "commit-tree", snap.tree, "-p", head, "-F", "-", input=message).stdout.strip()
    _git(repo.root, "update-ref", "-m", "stepcommit: park step work", f"refs/heads/{branch}", new, head)
    _git(repo.root, "reset", "-q")
    return new


def undo_last_commit_keep_files(root: Path) -> None:
    """Drop HEAD's commit, keeping its changes as uncommitted files (a mixed reset)."""
    _git(root, "reset", "-q", "HEAD~1")


def commit_message(root: Path, rev: str = "HEAD") -> str:
    return _git(root, "log", "-1", "--format=%B", rev).stdout


def trailer(root: Path, rev: str, key: str) -> str | None:
    out = _git(root, "log", "-1", f"--format=%(trailers:key={key},valueonly,separator=%x00)", rev).stdout
    values = [v.strip() for v in out.strip("\n").split("\0") if v.strip()]
    return values[-1] if values else None


def is_clean(root: Path) -> bool:
    out = _git(root, "status", "--porcelain=v2", "-z", "--untracked-files=all").stdout
    return not out


def merge_base(root: Path, a: str, b: str) -> str | None:
    return _git(root, "merge-base", a, b, check=False).stdout.strip() or None


def is_ancestor(root: Path, ancestor: str, descendant: str) -> bool:
    return _git(root, "merge-base", "--is-ancestor", ancestor, descendant, check=False).returncode == 0


# Landing a step without touching the work tree: the merged tree is computed, gated, committed and
# the base ref moved (compare-and-swap) before any file of the user's checkout changes.


@dataclass(frozen=True)
class MergedTree:
    tree: str | None
    """The merge result's tree id; None when the merge has conflicts."""
    conflicts: tuple[str, ...] = ()


def merge_trees(root: Path, ours: str, theirs: str) -> MergedTree:
    """What merging commit ``theirs`` into ``ours`` gives, as git's own merge machinery computes it
    (`git merge-tree --write-tree`), written to the object store only: no index, no work tree."""
    result = _git(root, "merge-tree", "--write-tree", "--name-only", "-z", "--no-messages", ours, theirs,
                  check=False, isolated=True)  # fmt: skip
    fields = result.stdout.split("\0")
    if result.returncode == 0:
        return MergedTree(fields[0].strip())
    # Exit 1 is a conflict only with the tree id printed: git also exits 1, printing nothing on
    # stdout, when it cannot read one side ("not something we can merge").
    if result.returncode == 1 and fields[0].strip():
        return MergedTree(None, tuple(dict.fromkeys(f for f in fields[1:] if f)))
    raise GitError(
        f"git merge-tree failed (exit {result.returncode}):\n{result.stderr.strip()}",
        hint="Fix what git reports above, then run `stepcommit finish` again.",
    )


def commit_tree(root: Path, tree: str, parents: Sequence[str], message_file: Path) -> str:
    """A commit object of exactly ``tree`` (no hooks, no index): the id of what will land."""
    args = ["commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    return _git(root, *args, "-F", str(message_file), isolated=True).stdout.strip()


def move_ref(root: Path, ref: str, new: str, old: str, reason: str) -> bool:
    """Point ``ref`` at ``new`` only if it still points at ``old`` (compare-and-swap); False if it moved."""
    result = _git(root, "update-ref", "-m", reason, ref, new, old, check=False, isolated=True)
    return result.returncode == 0


def set_index(root: Path, tree: str) -> None:
    """Make the real index hold exactly ``tree`` (the work tree's files are not touched)."""
    _git(root, "read-tree", tree)


def restore_from_tree(root: Path, tree: str, paths: Sequence[str]) -> None:
    """Write ``paths`` back into the work tree as ``tree`` has them (the index is not touched)."""
    if paths:
        _git(root, "restore", f"--source={tree}", "--worktree", "--pathspec-from-file=-", "--pathspec-file-nul",
             input="\0".join(paths) + "\0", env={"GIT_LITERAL_PATHSPECS": "1"})  # fmt: skip


def tree_with_file(repo: Repo, tree: str, path: str, content: str) -> str:
    """``tree`` with ``path`` holding ``content`` (UTF-8; clean filters applied as `git add` would),
    written to the object store only: the work tree and the real index are not touched."""
    with temporary_index(repo) as env:
        _git(repo.root, "read-tree", tree, env=env)
        _stage_text(repo, path, content, env)
        return _git(repo.root, "write-tree", env=env).stdout.strip()


def point_head_at(root: Path, branch: str) -> None:
    """Make ``branch`` the checked-out branch again without touching index or files."""
    _git(root, "symbolic-ref", "HEAD", f"refs/heads/{branch}")


def blob_at(root: Path, rev: str, path: str) -> str | None:
    """The blob id of ``path`` in ``rev``, or None when it has no such file."""
    result = _git(root, "rev-parse", "-q", "--verify", f"{rev}:{path}", check=False, isolated=True)
    return result.stdout.strip() or None


def blob_on_disk(root: Path, path: str) -> str | None:
    """The blob id ``path`` in the work tree would be committed as (clean filters applied)."""
    if not (root / path).is_file():
        return None
    return _git(root, "hash-object", "--", path, isolated=True).stdout.strip()


def scratch_commit(repo: Repo, tree: str, message: str) -> str:
    """A commit of ``tree`` on top of HEAD that no ref names (git's gc drops it): what a checkout of a
    tree that is not committed needs, e.g. the staged tree gated apart from the work tree."""
    parents = ["-p", head] if (head := head_commit(repo.root)) else []
    return _git(repo.root, "commit-tree", tree, *parents, "-m", message, isolated=True).stdout.strip()


def save_tree_as_rescue(repo: Repo, tree: str, message: str) -> str:
    """Keep ``tree`` (files about to be overwritten) as a commit under refs/stepcommit/rescue/."""
    import time

    parents = ["-p", head] if (head := head_commit(repo.root)) else []
    new = _git(repo.root, "commit-tree", tree, *parents, "-m", message, isolated=True).stdout.strip()
    _git(repo.root, "update-ref", f"refs/stepcommit/rescue/{int(time.time())}-{new[:8]}", new, isolated=True)
    return new


def checkout_branch_over(root: Path, branch: str) -> None:
    """Check out ``branch``, overwriting the work tree's tracked files (callers save them first)."""
    _git(root, "checkout", "-q", "-f", branch)


def ignored(root: Path, paths: Sequence[str]) -> set[str]:
    if not paths:
        return set()
    out = _git(root, "check-ignore", "-z", "--stdin", input="\0".join(paths) + "\0", check=False).stdout
    return {p for p in out.split("\0") if p}


def diff_summary(root: Path, old: str, new: str) -> tuple[int, int, int]:
    """(files changed, lines added, lines deleted) between two trees or commits."""
    counts = _parse_numstat(_git(root, "diff-tree", "-r", "-z", "--numstat", "-M", old, new).stdout)
    return len(counts), sum(a for a, _ in counts.values()), sum(d for _, d in counts.values())


def tree_of(root: Path, rev: str) -> str:
    return _git(root, "rev-parse", f"{rev}^{{tree}}").stdout.strip()


def write_index_tree(root: Path) -> str:
    """The tree id of what is staged now: exactly what `git commit` is about to record."""
    return _git(root, "write-tree").stdout.strip()


def is_tracked(root: Path, path: str) -> bool:
    """Whether ``path`` (relative to ``root``) is in the index, i.e. committed or about to be."""
    return _git(root, "ls-files", "--error-unmatch", "--", path, check=False).returncode == 0


def comment_char(root: Path) -> str:
    """The character that starts a comment line in commit messages (core.commentChar, default #)."""
    value = _git(root, "config", "--get", "core.commentChar", check=False).stdout.strip()
    return value if len(value) == 1 else "#"  # "auto" picks per message; # is its usual choice


@dataclass(frozen=True)
class LogEntry:
    """One commit as the report reads it: ids, committer date, message, and its trailer block."""

    commit: str
    parents: tuple[str, ...]
    date: str
    """Committer date, strict ISO 8601 with its offset."""
    subject: str
    body: str
    trailers: tuple[tuple[str, str], ...]

    def trailer(self, key: str) -> str | None:
        """The last value of ``key`` (case-insensitive, as git compares trailer keys)."""
        values = [v for k, v in self.trailers if k.lower() == key.lower()]
        return values[-1] if values else None


# Fields are NUL-separated inside a record and `-z` ends each record with NUL as well, so
# the output is split once and read back in fixed-size groups; nothing in a field is escaped.
_LOG_FIELDS = ("%H", "%P", "%cI", "%s", "%B", "%(trailers:only,unfold,separator=%x1f)")


def _parse_trailers(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in text.strip("\n").split("\x1f"):
        key, sep, value = item.partition(":")
        if sep and key.strip():
            pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


def first_parent_log(root: Path, rev: str = "HEAD") -> tuple[LogEntry, ...]:
    """``rev``'s first-parent history, newest first: the commits the branch itself made.

    First parents only, so a no-ff step merge counts once (the merge commit carries the step's
    message) and a merged branch's own commits are not mistaken for the base's history.
    """
    out = _git(root, "log", "--first-parent", "-z", f"--format={'%x00'.join(_LOG_FIELDS)}", rev, "--").stdout
    fields = out.split("\0")
    size = len(_LOG_FIELDS)
    entries = []
    for start in range(0, len(fields) - size + 1, size):
        commit, parents, date, subject, body, trailers = fields[start : start + size]
        entries.append(
            LogEntry(
                commit=commit.strip("\n"),
                parents=tuple(parents.split()),
                date=date,
                subject=subject,
                body=body,
                trailers=_parse_trailers(trailers),
            )
        )
    return tuple(entries)


def first_parent_range(root: Path, since: str, rev: str = "HEAD") -> tuple[str, ...]:
    """Commits on ``rev``'s first-parent line that ``since`` does not contain, newest first."""
    out = _git(root, "rev-list", "--first-parent", f"{since}..{rev}", "--").stdout
    return tuple(out.split())


def _unquote_path(name: str) -> str:
    """A path as git prints it in diff headers: C-quoted when it holds unusual characters."""
    if not (name.startswith('"') and name.endswith('"')):
        return name
    raw = name[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return raw.encode("latin-1").decode("utf-8", "replace")


def _diff_target(line: str) -> str | None:
    """The new side's path of a `+++ b/...` line of `git diff`, or None for a deletion."""
    target = line[4:].rstrip("\t")  # git ends a name holding spaces with a tab
    if target == "/dev/null":
        return None
    path = _unquote_path(target)
    path = path[3:] if path.startswith('"b/') else path
    return path.removeprefix("b/")


def changed_lines(root: Path, old: str, new: str, pathspec: Sequence[str] = ("*.py",)) -> dict[str, set[int]]:
    """The lines added or changed in ``new`` relative to ``old``, per file (new names), from `diff -U0`."""
    out = _git(
        root, "-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", "-U0", "-M",
        "--src-prefix=a/", "--dst-prefix=b/", old, new, "--", *pathspec,
    ).stdout  # fmt: skip
    result: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in out.splitlines():
        if line.startswith("+++ "):
            path = _diff_target(line)
            if path is None:
                current = None
                continue
            current = result.setdefault(path, set())
        elif line.startswith("@@ ") and current is not None:
            new_range = line.split(" ")[2]  # +start[,count]
            start, _, count = new_range[1:].partition(",")
            n = int(count) if count else 1
            current.update(range(int(start), int(start) + n))
    return {path: lines for path, lines in result.items() if lines}


@contextlib.contextmanager
def temporary_worktree(repo: Repo, commit: str) -> Iterator[Path]:
    """A detached checkout of ``commit`` in a throw-away folder, removed afterwards.

    The folder's name carries the owner's pid: what a killed run left (the folder, and its
    registration in the repository) is removed by the next run, once that pid is gone.
    """
    import shutil
    import tempfile

    remove_stale_worktrees(repo)
    where = Path(tempfile.mkdtemp(prefix=f"{WORKTREE_PREFIX}{os.getpid()}-"))
    target = where / "tree"
    _git(repo.root, "worktree", "add", "-q", "--detach", str(target), commit, isolated=True)
    try:
        yield target
    finally:
        _git(repo.root, "worktree", "remove", "--force", str(target), check=False, isolated=True)
        shutil.rmtree(where, ignore_errors=True)
        _git(repo.root, "worktree", "prune", check=False, isolated=True)


def tree_only(repo: Repo) -> str:
    """The tree id a commit of the whole work tree would record (the cheap half of `snapshot`)."""
    with temporary_index(repo) as env:
        _git(repo.root, "add", "-A", env=env)
        return _git(repo.root, "write-tree", env=env).stdout.strip()


def modified_files(root: Path) -> list[str]:
    """Tracked files whose work-tree content differs from the index."""
    out = _git(root, "diff", "--name-only", "-z", isolated=True).stdout
    return [p for p in out.split("\0") if p]


def diff_text(root: Path) -> str:
    return _git(root, "diff", "--no-color", "--no-ext-diff", isolated=True).stdout


def diff_paths(root: Path, old: str, new: str) -> tuple[list[str], list[str]]:
    """(added or changed paths, deleted paths) from ``old`` to ``new`` (renames count as their new name)."""
    out = _git(root, "diff-tree", "-r", "-z", "--name-status", "-M", old, new).stdout
    changed: list[str] = []
    deleted: list[str] = []
    for status, path, _old in _parse_name_status(out):
        (deleted if status == "D" else changed).append(path)
    return changed, deleted


def raw_diff(root: Path, old: str, new: str) -> list[tuple[str, str, str, str]]:
    """(status, path, old blob, new blob) for each file that differs from tree ``old`` to ``new``,
    renames as a deletion and an addition."""
    out = _git(root, "diff-tree", "-r", "-z", "--raw", "--no-renames", old, new, isolated=True).stdout
    fields = out.split("\0")
    changes = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta.startswith(":"):
            continue
        _old_mode, _new_mode, old_blob, new_blob, status = meta[1:].split(" ")
        changes.append((status[:1], path, old_blob, new_blob))
    return changes


def object_exists(root: Path, oid: str) -> bool:
    return _git(root, "cat-file", "-e", oid, check=False, isolated=True).returncode == 0


def blob_text(root: Path, blob: str) -> str:
    return _git(root, "cat-file", "blob", blob, isolated=True).stdout


WORKTREE_PREFIX = "stepcommit-worktree-"
"""Temporary checkouts are `<tmp>/stepcommit-worktree-<pid>-<random>/tree`."""


def _owner_alive(folder: Path) -> bool:
    pid_text = folder.name.removeprefix(WORKTREE_PREFIX).split("-", 1)[0]
    if not pid_text.isdigit():
        # An older stepcommit's folder has no pid: gone only once it is a day old.
        import time

        with contextlib.suppress(OSError):
            return time.time() - folder.stat().st_mtime < 24 * 3600
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_worktrees(repo: Repo) -> list[Path]:
    """Remove the temporary checkouts whose owning run died (a kill mid-measurement), and the
    repository's registrations of them; returns the folders removed."""
    import shutil
    import tempfile

    removed = []
    for folder in Path(tempfile.gettempdir()).glob(WORKTREE_PREFIX + "*"):
        if not folder.is_dir() or _owner_alive(folder):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    # Drops the registration of every checkout whose folder is gone, this repository's included.
    _git(repo.root, "worktree", "prune", check=False, isolated=True)
    return removed


def blob_sizes(root: Path, blobs: Sequence[str]) -> dict[str, int]:
    """The size in bytes of each blob (one `cat-file --batch-check` for all of them)."""
    if not blobs:
        return {}
    out = _git(root, "cat-file", "--batch-check=%(objectname) %(objectsize)", input="\n".join(blobs) + "\n",
               isolated=True).stdout  # fmt: skip
    sizes = {}
    for line in out.splitlines():
        name, _, size = line.partition(" ")
        if size.isdigit():
            sizes[name] = int(size)
    return sizes


def added_lines(root: Path, old: str, new: str, skip: Sequence[str] = ()) -> dict[str, list[tuple[int, str]]]:
    """The text of each line added or changed in ``new`` relative to ``old`` (whole files when
    added), per file, with its line number in ``new``; binary files (as git judges them) and the
    ``skip`` paths are left out. Read from the objects, not the work tree."""
    excludes = [f":(exclude,literal){path}" for path in skip]
    out = _git(
        root, "-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", "--no-textconv",
        "-U0", "--no-renames", "--src-prefix=a/", "--dst-prefix=b/", old, new, "--", ".", *excludes,
        isolated=True,
    ).stdout  # fmt: skip
    result: dict[str, list[tuple[int, str]]] = {}
    current: list[tuple[int, str]] | None = None
    number = left = 0  # the next added line's number, and how many of the hunk's lines are still to come
    for line in out.split("\n"):
        if left:
            # Inside a hunk, by its counts: an added line may itself start with "++ " or "@@ ".
            if line.startswith("+"):
                if current is not None:
                    current.append((number, line[1:]))
                number += 1
                left -= 1
            elif line.startswith("-"):
                left -= 1
            continue
        if line.startswith("+++ "):
            path = _diff_target(line)
            current = None if path is None else result.setdefault(path, [])
        elif line.startswith("@@ "):
            old_range, new_range = line.split(" ")[1:3]
            start, _, count = new_range[1:].partition(",")
            number = int(start)
            left = (int(count) if count else 1) + (int(old_range.partition(",")[2] or 1))
    return {path: lines for path, lines in result.items() if lines}


def hooks_dir(root: Path) -> Path:
    """Where git looks for this repository's hooks (core.hooksPath, or the common git dir's hooks/)."""
    out = _git(root, "rev-parse", "--path-format=absolute", "--git-path", "hooks").stdout.strip()
    return Path(out)


# Worktrees for parallel steps: one linked checkout per step, on the step's branch.


@dataclass(frozen=True)
class Worktree:
    path: Path
    head: str | None
    branch: str | None
    """The checked-out branch's short name; None when HEAD is detached (or the repository is bare)."""


def may_have_other_checkouts(repo: Repo) -> bool:
    """False for the main checkout of a repository without linked worktrees: git keeps each linked
    one's record in the common git dir's `worktrees/`, and a linked one's git dir names that dir in
    `commondir`. Then no `git worktree list` is needed to know there is no other checkout."""
    return (repo.git_dir / "commondir").exists() or (repo.git_dir / "worktrees").is_dir()


def worktrees(root: Path) -> list[Worktree]:
    """Every checkout of the repository, the main one first (`git worktree list --porcelain -z`)."""
    out = _git(root, "worktree", "list", "--porcelain", "-z", isolated=True).stdout
    found: list[Worktree] = []
    for record in out.split("\0\0"):
        fields = dict(f.partition(" ")[::2] for f in record.split("\0") if f)
        if "worktree" not in fields or "bare" in fields:
            continue
        branch = fields.get("branch", "").removeprefix("refs/heads/") or None
        found.append(Worktree(Path(fields["worktree"]), fields.get("HEAD"), branch))
    return found


def add_worktree(root: Path, path: Path, branch: str, *, start: str | None) -> None:
    """Check ``branch`` out in a new linked worktree at ``path``; with ``start``, the branch is created there."""
    args = ["-b", branch, str(path), start] if start else [str(path), branch]
    _git(root, "worktree", "add", "-q", *args, isolated=True)


def remove_worktree(root: Path, path: Path, *, force: bool = False) -> str | None:
    """Remove a linked worktree that holds nothing uncommitted (``force``: whatever it holds);
    git's reason when it refuses."""
    extra = ["--force"] if force else []
    result = _git(root, "worktree", "remove", *extra, str(path), check=False, isolated=True)
    return None if result.returncode == 0 else (result.stderr or result.stdout).strip()


def update_checkout(root: Path, old: str, new: str) -> bool:
    """Bring a checkout whose index is at ``old`` onto ``new`` (a two-way `read-tree -m -u`, as
    `git switch` does: local changes to files the move leaves alone are kept). False, with
    nothing touched, when a local change is in the way."""
    return _git(root, "read-tree", "-m", "-u", old, new, check=False, isolated=True).returncode == 0


def index_tree(root: Path) -> str | None:
    """The tree the checkout's index holds, or None when it cannot be written (a conflict)."""
    result = _git(root, "write-tree", check=False, isolated=True)
    return result.stdout.strip() if result.returncode == 0 else None


def detach_head(root: Path, commit: str) -> None:
    """Detach the checkout's HEAD at ``commit`` without touching its index or files."""
    _git(root, "update-ref", "--no-deref", "-m", "stepcommit: keep a dirty checkout as it was", "HEAD",
         commit, isolated=True)  # fmt: skip
