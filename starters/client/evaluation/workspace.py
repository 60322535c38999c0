"""A fresh workspace per case, so no case sees what another wrote."""

import shutil
import tempfile
from pathlib import Path

from contracts.errors import OverseerError
from starters.files.eval_suite import CaseDefinition

# A seed directory is copied whole for every case: bounded, so a suite pointed at a large
# tree fails in one line instead of filling the disk.
SEED_MAX_FILES = 2_000
SEED_MAX_BYTES = 50 * 1024 * 1024


def _check_seed(seed: Path) -> None:
    files = [p for p in seed.rglob("*") if p.is_file() or p.is_symlink()]
    if len(files) > SEED_MAX_FILES:
        raise OverseerError(f"workspace {seed} holds more than {SEED_MAX_FILES} files")
    if sum(p.lstat().st_size for p in files) > SEED_MAX_BYTES:
        raise OverseerError(f"workspace {seed} holds more than {SEED_MAX_BYTES} bytes")


def fresh_workspace(case: CaseDefinition, agent_workspace: Path, root: Path) -> Path:
    """A new directory under `root` for this case: a copy of its seed (the case's
    `workspace`, or the agent's), then the case's files on top."""
    seed = Path(case.workspace) if case.workspace else agent_workspace
    if not seed.is_dir():
        raise OverseerError(f"case {case.name}: workspace {seed} is not a directory")
    _check_seed(seed)
    target = Path(tempfile.mkdtemp(prefix=f"{case.name}-", dir=root)) / "workspace"
    # Symlinks are copied as links, never followed out of the seed.
    shutil.copytree(seed, target, symlinks=True)
    for name, source in case.files.items():
        if not Path(source).is_file():
            raise OverseerError(f"case {case.name}: files: {source} is not a file")
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    return target
