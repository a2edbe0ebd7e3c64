"""Process owners and the temporary files of writers that were killed."""

import os
import subprocess
import sys

import pytest

from dhf_assets.lib.storage.files import remove_orphan_temp_files
from dhf_assets.lib.storage.processes import (
    ProcessOwner,
    current_owner,
    host_digest,
    is_alive,
    temp_owner_is_gone,
    temp_prefix,
    this_host,
)


@pytest.fixture(scope="module")
def dead_owner() -> ProcessOwner:
    """A real process of this host that has exited."""
    child = subprocess.run([sys.executable, "-c",
                            "import os, psutil; print(os.getpid(), psutil.Process().create_time())"],
                           capture_output=True, text=True, check=True)
    pid, started = child.stdout.split()
    return ProcessOwner(this_host(), int(pid), float(started))


def test_this_process_is_alive_and_a_finished_one_is_not(dead_owner):
    me = current_owner()
    assert is_alive(me)
    assert not is_alive(dead_owner)


@pytest.mark.parametrize("shift_s", [5.0, -5.0, 3600.0])
def test_a_reused_pid_is_not_the_recorded_process(shift_s):
    me = current_owner()
    assert not is_alive(ProcessOwner(me.host, me.pid, me.started_at + shift_s))


def test_another_hosts_process_cannot_be_judged_here():
    with pytest.raises(ValueError, match="not on this host"):
        is_alive(ProcessOwner(this_host() + "-elsewhere", os.getpid(), 0.0))


@pytest.mark.parametrize("make_name, include_own, gone", [
    (lambda dead: temp_prefix("a.png", dead) + "x1.tmp", False, True),            # writer killed
    (lambda dead: temp_prefix("a.png") + "x1.tmp", False, False),                 # this live process
    (lambda dead: temp_prefix("a.png") + "x1.tmp", True, True),                   # this process, done writing
    (lambda dead: temp_prefix("a.png", ProcessOwner("elsewhere", dead.pid, dead.started_at)) + "x.tmp", False, False),
    (lambda dead: ".a.png.x1.tmp", False, False),                                  # not a dhf name
    (lambda dead: temp_prefix("a.png", dead)[1:] + "x.tmp", False, False),        # not hidden
])
def test_temp_owner_is_gone(dead_owner, make_name, include_own, gone):
    assert temp_owner_is_gone(make_name(dead_owner), include_own) is gone


def test_prefix_names_the_writer():
    me = current_owner()
    assert temp_prefix("m.png", me) == f".m.png.dhf-{host_digest(me.host)}-{me.pid}-{int(me.started_at)}."


def test_a_killed_writers_files_and_folders_are_removed_and_live_ones_kept(tmp_path, dead_owner):
    # A real writer that dies between creating its temporary file and renaming it.
    code = ("import os, sys, tempfile; from dhf_assets.lib.storage.processes import temp_prefix; "
            "tempfile.mkstemp(dir=sys.argv[1], prefix=temp_prefix('c.png'), suffix='.tmp'); os._exit(9)")
    folder = tmp_path / "crops" / "A1"
    folder.mkdir(parents=True)
    subprocess.run([sys.executable, "-c", code, str(folder)], env={**os.environ, "PYTHONPATH": os.getcwd()})
    orphan_dir = tmp_path / "exports" / (temp_prefix("coco", dead_owner) + "abc.tmp")
    (orphan_dir / "sub").mkdir(parents=True)
    (orphan_dir / "sub" / "f.json").write_text("{}")
    live = folder / (temp_prefix("d.png") + "x.tmp")
    live.write_bytes(b"in progress")
    kept = folder / "e.png"
    kept.write_bytes(b"png")
    removed = remove_orphan_temp_files(tmp_path)
    assert len(removed) == 2 and not orphan_dir.exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted([live.name, kept.name])
    assert remove_orphan_temp_files(tmp_path, include_own=True) == [live]
