"""From resolved inputs to keyed tasks: where each output goes, which journal records it, and
the key that says whether it is already done.

Output layout under ``-o DIR`` (the journal ``DIR/batch.jsonl`` beside them):

* ``batch master``: an audio file → ``DIR/<its folder below the walked folder>/`` named as
  ``producer master`` names it (``<stem>-<profile>.<ext>`` per format of the profile, with
  its reports); a project song → ``DIR/<project>/<profile>/NN-<slug>.<ext>`` (the project's
  own ``masters/<profile>/`` layout); a manifest's ``output`` is a file or folder in ``DIR``.
* ``batch mix``: ``DIR/<project>/<slug>.<format>``; without ``-o``, each project's
  ``mixes/<slug>.<format>`` with the journal in that ``mixes/`` folder.
* ``batch meter`` writes no audio; its journal goes in ``-o DIR``, else beside ``--csv``.

The key of a task is the SHA-256 of: the kind, producer's version, the content hash of the
input (the file's bytes; for a song, its document and ``album.json`` — the document holds the
sha256 of every media file it plays) and its file name (outputs are named after it), the
profile's *data* (every field, so an edited target re-masters), the chain settings, the format
options and the output path relative to the journal. Any change to one of them is a different
task; nothing else is (a touched file, a moved output folder).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from producer.errors import ProducerError, UserError
from producer.fileio import names_file
from producer.workflows.batch.inputs import Item
from producer.workflows.batch.tasks import Task, file_sha256, version

HASH_THREADS = 4


@dataclass
class Plan:
    """The tasks, in input order, and the reason for each one that cannot run at all."""

    tasks: list[Task]
    unusable: dict[int, str]


def _abs(path: Path) -> str:
    """Tasks carry absolute paths: a worker's working folder (another machine's) is not ours.
    Symbolic links are kept as named (a shared mount may be reached through one)."""
    return os.path.abspath(path)


def _project_name(root: Path) -> str:
    return root.resolve().name or "project"


def _inside_out(out_dir: Path, rel: str, where: str) -> Path:
    """A manifest's output: a path inside ``out_dir`` (refused when it leaves it)."""
    target = Path(rel)
    if target.is_absolute():
        raise UserError(f"{where}: output {rel!r} must be a path inside the -o folder")
    full = out_dir / target
    try:
        full.resolve().relative_to(out_dir.resolve())
    except ValueError:
        raise UserError(f"{where}: output {rel!r} leaves the -o folder {out_dir}") from None
    return full


def _song_hashes(root: Path) -> dict[str, str]:
    from producer.storage import Project

    project = Project.open(root)
    album = project.document_text(None).encode("utf-8")
    out: dict[str, str] = {}
    for song in project.songs():
        h = hashlib.sha256(album)
        h.update(b"\0")
        h.update(project.document_text(song.slug).encode("utf-8"))
        out[song.slug] = h.hexdigest()
    return out


def _hash_inputs(items: Sequence[Item]) -> dict[tuple[str, str], str | Exception]:
    """Content hash of each usable input, by (path, song); the error where reading failed."""
    files = sorted({_abs(i.path) for i in items if not i.error and not i.song})
    roots = sorted({_abs(i.path) for i in items if not i.error and i.song})
    found: dict[tuple[str, str], str | Exception] = {}

    def one_file(p: str) -> tuple[str, str | Exception]:
        try:
            return p, file_sha256(Path(p))
        except OSError as exc:
            return p, exc

    def one_project(root: str) -> tuple[str, dict[str, str] | Exception]:
        try:
            return root, _song_hashes(Path(root))
        except (OSError, ProducerError) as exc:
            return root, exc

    # hashlib releases the GIL on large buffers: a few threads keep the disk busy.
    with ThreadPoolExecutor(max_workers=HASH_THREADS) as pool:
        for p, digest in pool.map(one_file, files):
            found[(p, "")] = digest
        for root, songs in pool.map(one_project, roots):
            if isinstance(songs, Exception):
                for i in items:
                    if _abs(i.path) == root and i.song:
                        found[(root, i.song)] = songs
            else:
                for slug, digest in songs.items():
                    found[(root, slug)] = digest
    return found


def _key(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ProducerError):
        return exc.message
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def _finish(drafts: list[tuple[Task, str]], items: Sequence[Item], extra: dict[str, Any]) -> Plan:
    """Hash the inputs, key the tasks (``extra``: data every key of this batch includes)."""
    hashes = _hash_inputs(items)
    tasks: list[Task] = []
    unusable: dict[int, str] = {}
    for n, (task, error) in enumerate(drafts):
        if error:
            unusable[n] = error
            tasks.append(task)
            continue
        digest = hashes.get((task.path, task.song))
        if not isinstance(digest, str):
            unusable[n] = _error_text(digest) if digest else "could not be read"
            tasks.append(task)
            continue
        out_rel = os.path.relpath(task.out, task.journal) if task.out and task.journal else ""
        data = {
            **extra.get(task.profile, extra.get("", {})),
            "kind": task.kind,
            "version": version(),
            "input": digest,
            "song": task.song,
            # Outputs are named after the input: two files of the same content under two
            # names are two tasks (and a renamed input is mastered under its new name).
            "name": Path(task.path).name,
            "out": out_rel,
            "format": task.file_format,
            "bit_depth": task.bit_depth,
        }
        tasks.append(dataclasses.replace(task, input_sha256=digest, key=_key(data)))
    return Plan(tasks, unusable)


def _check_collisions(
    tasks: Sequence[tuple[Task, str]], what: str, folders: frozenset[str] = frozenset()
) -> None:
    """Refuse two inputs that would write the same output (one line naming both).

    ``folders``: the task outputs that are folders whatever their names look like (the
    ``-o`` folder "deliveries.v2" is a folder); other outputs with an extension are files."""
    seen: dict[tuple[str, ...], str] = {}
    for task, error in tasks:
        if error or not task.out:
            continue
        out = Path(task.out).resolve()
        name = task.song or Path(task.path).stem
        is_file = task.out not in folders and names_file(out)
        ident = (str(out),) if is_file else (str(out), name, task.profile)
        if ident in seen and seen[ident] != task.label:
            raise UserError(
                f"{seen[ident]} and {task.label} would both be written to {out} "
                f"({what}); rename one, or give them separate manifest outputs"
            )
        seen[ident] = task.label


def plan_master(
    items: Sequence[Item], profiles: Sequence[str], out_dir: Path, threads: int
) -> Plan:
    """One task per input and profile (a manifest row's profile replaces ``profiles``)."""
    from producer.mastering.profiles import get_profile
    from producer.workflows import master as master_wf

    options = dataclasses.asdict(master_wf.MasterOptions())
    extra: dict[str, Any] = {}
    drafts: list[tuple[Task, str]] = []
    folders: set[str] = set()  # outputs that are folders by construction, not by their name
    for item in items:
        if not item.profile and not profiles:
            raise UserError(
                f"{item.label}: no delivery profile; give --profile NAME "
                "(or a profile column in the manifest)"
            )
        for name in [item.profile] if item.profile else profiles:
            if name not in extra:
                try:
                    profile = get_profile(name)
                except ProducerError as exc:
                    raise UserError(f"{item.label}: {exc.message}") from None
                extra[name] = {"profile": dataclasses.asdict(profile), "options": options}
            if item.output:
                out = _inside_out(out_dir, item.output, item.label)
                if item.song and names_file(out):
                    raise UserError(
                        f"{item.label}: a project's songs are mastered into a folder; "
                        f"output {item.output!r} names a file"
                    )
            elif item.song:
                out = out_dir / (item.base or _project_name(item.path)) / name
                folders.add(_abs(out))
            else:
                out = out_dir / item.base
                folders.add(_abs(out))
            task = Task(
                "master",
                item.label,
                _abs(item.path),
                item.song,
                name,
                _abs(out),
                journal=_abs(out_dir),
                threads=threads,
            )
            drafts.append((task, item.error))
    _check_collisions(drafts, "the same master", frozenset(folders))
    # Made now, so that the master use case (and a worker on another machine) sees a folder
    # even where the name has a dot in it: there, a name with an extension is a file.
    for task, error in drafts:
        if not error and task.out in folders:
            Path(task.out).mkdir(parents=True, exist_ok=True)
    return _finish(drafts, items, extra)


NOT_A_PROJECT = "not a project folder (batch mix renders the songs of projects)"


def plan_mix(
    items: Sequence[Item],
    out_dir: Path | None,
    file_format: str,
    bit_depth: str,
    threads: int,
) -> Plan:
    """One task per project song."""
    drafts: list[tuple[Task, str]] = []
    for item in items:
        error = item.error or ("" if item.song else NOT_A_PROJECT)
        if out_dir is not None:
            folder = out_dir / (item.base or _project_name(item.path))
            journal = out_dir
        else:
            folder = item.path / "mixes"
            journal = folder
        if item.output and out_dir is not None:
            out = _inside_out(out_dir, item.output, item.label)
            folder = out.parent if names_file(out) else out
        task = Task(
            "mix",
            item.label,
            _abs(item.path),
            item.song,
            out=_abs(folder / f"{item.song or 'mix'}.{file_format}"),
            file_format=file_format,
            bit_depth=bit_depth,
            journal=_abs(journal),
            threads=threads,
        )
        drafts.append((task, error))
    _check_collisions(drafts, "the same mix")
    return _finish(drafts, items, {})


def plan_meter(items: Sequence[Item], journal_dir: Path | None, threads: int) -> Plan:
    """One task per input; journalled only when there is a folder to keep the journal in."""
    drafts = [
        (
            Task(
                "meter",
                item.label,
                _abs(item.path),
                item.song,
                journal=_abs(journal_dir) if journal_dir is not None else "",
                threads=threads,
            ),
            item.error,
        )
        for item in items
    ]
    return _finish(drafts, items, {})


__all__ = ["Plan", "plan_master", "plan_meter", "plan_mix"]
