"""The Debian package: build it, install it, and use it the way a user without Python would.

``packaging/build`` runs once per test run (minutes: a pinned build venv, PyInstaller,
the kernels, dpkg-deb), started in the background as the session begins
(tests/packaging/deb.py), with the kernels of the one CPU level this machine runs (a
release build has every level). To try these tests against a package already built,
set ``ZKWB_PACKAGE_DEB=dist/zkwb_<version>_amd64.deb``.

Everything installed is run with an empty ``PATH`` (so no Python can be found), a fresh
``HOME`` (empty caches) and Qt offscreen. In CI (as root, or with password-less sudo)
the package is also installed for real with ``dpkg -i`` and removed again.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import engine
from engine.api import prove
from engine.receipt import encode_receipt
from engine.runtime.resources import guest_path
from engine.vm import load_elf
from tests.cli_verdicts import json_verdict
from tests.conftest import IN_CI, require_tool
from tests.packaging.deb import (DEB, LOG, TOOLS, build_once, host_level, session_run_id,
                                 shipped_levels)
from tests.rejection import assert_rejected
from tests.test_receipt_malleability import SEAL_CHANGED
from tests.workbench.ready import terminate_when_ready

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
VERSION = engine.__version__
DEB_NAME = f"zkwb_{VERSION}_amd64.deb"
# Libraries the package depends on instead of bundling (packaging/zkwb.spec, HOST_LIBS).
HOST_LIB_PREFIXES = ("libX", "libxcb", "libxkbcommon", "libfontconfig", "libfreetype",
                     "libglib-2.0", "libgio-2.0", "libgobject-2.0", "libdbus-1", "libGL",
                     "libEGL", "libwayland")


@pytest.fixture(scope="module")
def deb() -> Path:
    given = os.environ.get("ZKWB_PACKAGE_DEB")
    if given:
        return Path(given).resolve()
    for tool in TOOLS:
        require_tool(tool)
    # Started in the background as the session began (tests/conftest.py); this waits for
    # it, or builds if nothing started it (e.g. these tests selected with -k).
    built, log = build_once(session_run_id())
    assert built, f"packaging/build failed ({LOG}):\n{log}"
    assert DEB.name == DEB_NAME
    return DEB


@pytest.fixture(scope="module")
def installed(deb, tmp_path_factory) -> Path:
    """The package unpacked into a scratch root with ``dpkg -x``; returns /opt/zkwb in it."""
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True, timeout=300)
    return root / "opt" / "zkwb"


@pytest.fixture(scope="module")
def bare_env(tmp_path_factory):
    """An environment with no Python on PATH and a fresh home (empty caches)."""
    def make() -> dict[str, str]:
        home = tmp_path_factory.mktemp("home")
        empty_bin = home / "bin"
        empty_bin.mkdir()
        return {"HOME": str(home), "PATH": str(empty_bin), "LANG": "C.UTF-8",
                "QT_QPA_PLATFORM": "offscreen"}
    return make


def run(exe: Path, *args: str, env: dict[str, str], timeout: float = 120, **kwargs):
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def dev_receipt(tmp_path_factory) -> Path:
    """A receipt made by the development install (this checkout's engine)."""
    path = tmp_path_factory.mktemp("receipts") / "hello.zkr"
    path.write_bytes(encode_receipt(prove(load_elf(guest_path("hello")), b"from the dev tree")
                                    .receipt))
    return path


def test_the_package_is_named_and_described_for_dpkg(deb):
    assert deb.name == DEB_NAME
    info = subprocess.run(["dpkg-deb", "--field", str(deb)], capture_output=True, text=True,
                          check=True).stdout
    fields = dict(line.split(": ", 1) for line in info.splitlines() if ": " in line
                  and not line.startswith(" "))
    assert fields["Package"] == "zkwb"
    assert fields["Version"] == VERSION
    assert fields["Architecture"] == "amd64"
    assert int(fields["Installed-Size"]) > 100_000  # KiB: Python, Qt, LLVM are inside
    assert "libxcb-cursor0" in info and "libfontconfig1" in info
    contents = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True,
                              text=True, check=True).stdout
    for path in ("./opt/zkwb/zkwb", "./opt/zkwb/zkwb-workbench",
                 "./usr/share/applications/zkwb-workbench.desktop",
                 "./usr/share/mime/packages/zkwb.xml",
                 "./usr/share/icons/hicolor/scalable/apps/zkwb.svg",
                 "./usr/share/icons/hicolor/48x48/apps/zkwb.png",
                 "./usr/share/doc/zkwb/copyright"):
        assert f" {path}" in contents, path
    assert "./usr/bin/zkwb -> /opt/zkwb/zkwb" in contents
    assert "./usr/bin/zkwb-workbench -> /opt/zkwb/zkwb-workbench" in contents
    for unwanted in ("QtQml", "QtQuick", "QtWebEngine", "/tests/", "__pycache__/test",
                     "pytest", "/scipy/", "sklearn", "libqgtk3"):
        assert unwanted not in contents, unwanted
    # Compiled kernels ship for the portable CPU levels only, never as stray caches.
    cached = [line.split()[-1] for line in contents.splitlines()
              if line.endswith((".nbi", ".nbc"))]
    assert cached and all(p.startswith("./opt/zkwb/_internal/kernel-cache/") for p in cached)
    levels = {p.split("/")[5] for p in cached}
    assert levels == shipped_levels(), levels


def _level_cache(env: dict[str, str], level: str) -> Path:
    return Path(env["HOME"]) / ".cache" / "zkwb" / VERSION / level


def test_the_desktop_entry_and_mime_type_are_valid(installed):
    share = installed.parent.parent / "usr" / "share"
    desktop = share / "applications" / "zkwb-workbench.desktop"
    text = desktop.read_text()
    assert "Exec=zkwb-workbench %f" in text and "MimeType=application/x-zkwb-receipt;" in text
    assert "Icon=zkwb" in text
    mime = (share / "mime" / "packages" / "zkwb.xml").read_text()
    assert 'type="application/x-zkwb-receipt"' in mime and '<glob pattern="*.zkr"/>' in mime
    assert 'value="ZKWB-RCT"' in mime
    validate = require_tool("desktop-file-validate")
    result = subprocess.run([validate, str(desktop)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_every_bundled_library_resolves_and_desktop_libraries_are_not_bundled(installed):
    internal = installed / "_internal"
    env = {"LD_LIBRARY_PATH": str(internal), "PATH": os.environ["PATH"]}
    elves = [p for p in [installed / "zkwb", installed / "zkwb-workbench",
                         *internal.rglob("*.so*")]
             if p.is_file() and not p.is_symlink() and "resources" not in p.parts]
    assert len(elves) > 100
    missing = {}
    for path in elves:
        done = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env)
        out = done.stdout + done.stderr
        lost = [line.split()[0] for line in out.splitlines() if "not found" in line]
        if "not a dynamic executable" in out:     # e.g. a patchelf'd library strip broke
            lost.append("(the file itself does not load)")
        if lost:
            missing[str(path.relative_to(installed))] = lost
    assert not missing, missing
    bundled = [p.name for p in internal.rglob("lib*.so*")]
    host = [name for name in bundled if name.startswith(HOST_LIB_PREFIXES)]
    assert not host, f"desktop libraries are bundled: {host}"


def test_the_libc_dependency_covers_every_glibc_symbol_version_the_bundle_needs(deb, installed):
    require_tool("objdump")
    needed = set()
    for path in [installed / "zkwb", installed / "zkwb-workbench",
                 *(installed / "_internal").rglob("*.so*")]:
        if path.is_file() and not path.is_symlink() and "resources" not in path.parts:
            out = subprocess.run(["objdump", "-T", str(path)], capture_output=True,
                                 text=True).stdout
            needed |= set(re.findall(r"GLIBC_(\d+)\.(\d+)", out))
    newest = max((int(a), int(b)) for a, b in needed)
    depends = subprocess.run(["dpkg-deb", "--field", str(deb), "Depends"], capture_output=True,
                             text=True, check=True).stdout
    declared = re.search(r"libc6 \(>= (\d+)\.(\d+)\)", depends)
    assert declared, depends
    assert (int(declared[1]), int(declared[2])) >= newest, \
        f"the bundle needs GLIBC_{newest[0]}.{newest[1]}, the package says {declared[0]}"


def test_the_commands_run_without_python_on_the_path(installed, bare_env):
    env = bare_env()
    assert shutil.which("python3", path=env["PATH"]) is None
    assert run(installed / "zkwb", "--version", env=env).stdout.strip() == f"zkwb {VERSION}"
    out = run(installed / "zkwb-workbench", "--version", env=env)
    assert out.stdout.strip() == f"zkwb-workbench {VERSION}"
    out = run(installed / "zkwb", "image-id", str(installed / "_internal" / "resources" /
                                                   "guests" / "hello.elf"), env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith(load_elf(guest_path("hello")).image_id_hex)


def test_the_about_box_finds_every_librarys_version_in_the_bundle(installed):
    """About reads the libraries' versions with importlib.metadata: each must find its
    .dist-info in the bundle (packaging/zkwb.spec copies them), with the version the
    build pinned."""
    from importlib import metadata

    from workbench.views.about import _PACKAGES

    internal = installed / "_internal"
    found = {}
    for dist in metadata.distributions(path=[str(internal)]):
        found[dist.metadata["Name"].lower().replace("_", "-")] = dist.version
    pins = {}
    for line in (ROOT / "packaging" / "requirements.txt").read_text().splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep:
            pins[name.lower().replace("_", "-")] = version
    for package in _PACKAGES:
        key = package.lower()
        assert key in found, f"{package}'s .dist-info is not in the bundle: About shows '?'"
        assert found[key] == pins[key], (package, found[key], pins[key])


def test_installed_verify_accepts_a_dev_receipt_and_rejects_a_tampered_one(
        installed, bare_env, dev_receipt, tmp_path):
    env = bare_env()
    good = run(installed / "zkwb", "verify", str(dev_receipt), "--json", env=env, timeout=600)
    assert good.returncode == 0, good.stderr
    first = json.loads(good.stdout)
    assert first["valid"] is True
    assert first["compile_seconds"] < 0.05, "the first verification compiled: the package's " \
        "compiled kernels were not used"
    data = bytearray(dev_receipt.read_bytes())
    data[len(data) * 2 // 3] ^= 0x10  # inside the seal
    tampered = tmp_path / "tampered.zkr"
    tampered.write_bytes(bytes(data))
    bad = run(installed / "zkwb", "verify", str(tampered), "--json", env=env, timeout=600)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert_rejected(json_verdict(bad.stdout), *SEAL_CHANGED)
    junk = tmp_path / "junk.zkr"
    junk.write_bytes(b"ZKWB-RCT" + b"\xff" * 40)
    out = run(installed / "zkwb", "verify", str(junk), env=env)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr


def test_installed_prove_in_a_fresh_home_uses_the_shipped_kernels(installed, bare_env,
                                                                   tmp_path):
    # Numba's OpenMP layer must load from the bundle (it falls back to the slower
    # workqueue layer silently; asking for it by name makes a failure an error).
    env = bare_env() | {"NUMBA_THREADING_LAYER": "omp"}
    before = snapshot(installed)
    receipt = tmp_path / "hello.zkr"
    out = run(installed / "zkwb", "prove", str(installed / "_internal" / "resources" /
                                               "guests" / "hello.elf"),
              "-o", str(receipt), "--json", env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout)["compile_seconds"] < 0.05, \
        "the first proof compiled: the package's compiled kernels were not used"
    assert list((_level_cache(env, host_level()) / "numba").rglob("*.nbi")), \
        "the shipped kernels were not copied to the user's cache"
    assert snapshot(installed) == before, "running the commands changed the installed files"


def test_installed_package_compiles_into_the_user_cache_outside_the_shipped_levels(
        installed, bare_env, dev_receipt):
    # For this CPU exactly (ZKWB_CPU_LEVEL=native), for which nothing is shipped: the
    # bundle's Numba compiles what it runs into the per-user cache and reuses it there.
    # Verifying compiles a few kernels (seconds); that proving's kernels compile in the
    # frozen bundle from an empty cache is what packaging/build's warm-up of each shipped
    # level does (the frozen zkwb proves and verifies; the build fails if that fails).
    env = bare_env() | {"ZKWB_CPU_LEVEL": "native"}
    cache = _level_cache(env, "native")
    before = snapshot(installed)
    hello = installed / "_internal" / "resources" / "guests" / "hello.elf"
    first = run(installed / "zkwb", "verify", str(dev_receipt), "--elf", str(hello), "--json",
                env=env, timeout=900)
    assert first.returncode == 0, first.stderr[-3000:]
    verdict = json.loads(first.stdout)
    assert verdict["valid"] is True and verdict["pinned"] is True
    assert verdict["compile_seconds"] > 0.05, "nothing compiled: was a cache found after all?"
    # Numba's cache went to the per-user folder the runtime hook chose, not the install.
    assert list((cache / "numba").rglob("*.nbi")), "no Numba cache index was written"
    again = run(installed / "zkwb", "verify", str(dev_receipt), "--elf", str(hello), "--json",
                env=env, timeout=600)
    assert json.loads(again.stdout)["compile_seconds"] < 0.05, "the kernels were not cached"
    assert snapshot(installed) == before, "running the commands changed the installed files"


def test_installed_workbench_starts_offscreen_and_exits_cleanly_when_closed(
        installed, bare_env, dev_receipt):
    env = bare_env()
    proc = subprocess.Popen([str(installed / "zkwb-workbench")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err = terminate_when_ready(proc, 120)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err and "[PYI-" not in err, err[-3000:]
    settings = Path(env["HOME"]) / ".config" / "zkwb" / "workbench.ini"
    assert settings.is_file(), "closing did not save the window's settings"
    # Double-clicking a receipt starts the workbench with it (the desktop entry's %f).
    opened = run(installed / "zkwb-workbench", "--quit-after", "3", str(dev_receipt),
                 env=env, timeout=600)
    assert opened.returncode == 0, opened.stderr[-3000:]
    assert "Traceback" not in opened.stderr


def _as_root() -> list[str]:
    """The prefix that runs a command as root: none for root, ``sudo -n`` where sudo
    needs no password. Only CI installs into the system: elsewhere the test skips; in
    CI, a machine where neither works fails it (the install check would not run)."""
    if not IN_CI:
        pytest.skip("installs into the system: runs in CI only")
    if os.geteuid() == 0:
        return []
    sudo = shutil.which("sudo")
    if sudo and subprocess.run([sudo, "-n", "true"], capture_output=True,
                               timeout=60).returncode == 0:
        return [sudo, "-n"]
    pytest.fail("CI must run the dpkg install check as root or with password-less sudo "
                "(sudo -n true failed or sudo is missing)")


def test_dpkg_installs_a_menu_entry_and_commands_on_the_path_and_removes_them(deb, bare_env):
    root = _as_root()
    if Path("/opt/zkwb").exists() or shutil.which("zkwb", path="/usr/bin"):
        pytest.fail("zkwb is already installed on this machine; CI runs on a fresh one")
    install = subprocess.run([*root, "dpkg", "-i", str(deb)], capture_output=True, text=True,
                             timeout=600)
    try:
        assert install.returncode == 0, install.stdout + install.stderr
        env = bare_env()
        env["PATH"] = "/usr/bin"
        out = subprocess.run(["zkwb", "--version"], env=env, capture_output=True, text=True,
                             timeout=120)
        assert out.stdout.strip() == f"zkwb {VERSION}", out.stderr
        sample = "/opt/zkwb/_internal/resources/guests/hello.elf"
        out = subprocess.run(["zkwb", "execute", sample], env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0 and "Hello" in out.stderr, out.stderr
        assert Path("/usr/share/applications/zkwb-workbench.desktop").is_file()
        if shutil.which("update-mime-database"):
            # shared-mime-info's trigger compiled the type into the MIME database.
            assert Path("/usr/share/mime/application/x-zkwb-receipt.xml").is_file()
        cache = Path("/usr/share/applications/mimeinfo.cache")
        if shutil.which("update-desktop-database") and cache.exists():
            assert "application/x-zkwb-receipt=zkwb-workbench.desktop" in cache.read_text()
    finally:
        remove = subprocess.run([*root, "dpkg", "--purge", "zkwb"], capture_output=True, text=True,
                                timeout=600)
    assert remove.returncode == 0, remove.stdout + remove.stderr
    assert not Path("/opt/zkwb").exists(), "dpkg --purge left files in /opt/zkwb"
    assert not Path("/usr/bin/zkwb").exists()


def test_installed_zkwb_new_build_prove_verify_a_fresh_project(deb, installed, bare_env,
                                                               tmp_path):
    # The package ships the guest SDK and recommends Debian's cross compiler and picolibc;
    # only the compiler's folder is added to the bare PATH (still no Python on it).
    gcc = Path(require_tool("riscv64-unknown-elf-gcc"))
    recommends = subprocess.run(["dpkg-deb", "--field", str(deb), "Recommends"],
                                capture_output=True, text=True, check=True).stdout
    assert "gcc-riscv64-unknown-elf" in recommends and "picolibc-riscv64-unknown-elf" in recommends
    assert (installed / "_internal" / "resources" / "guests" / "sdk" / "crt0.S").is_file()
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("riscv64-unknown-elf-gcc", "riscv64-unknown-elf-g++"):
        (tools / name).symlink_to(gcc.with_name(name))
    env = bare_env()
    env["PATH"] = f"{tools}:{env['PATH']}"
    zkwb = installed / "zkwb"
    out = run(zkwb, "new", "demo", "--dir", str(tmp_path), env=env)
    assert out.returncode == 0, out.stderr
    project = tmp_path / "demo"
    assert str(zkwb) in (project / "Makefile").read_text()
    out = run(zkwb, "build", str(project), env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    elf, receipt = project / "demo.elf", project / "demo.zkr"
    out = run(zkwb, "prove", str(elf), "--input", str(project / "input.txt"), "-o", str(receipt),
              "--json", env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    out = run(zkwb, "verify", str(receipt), "--elf", str(elf), "--json", env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    verdict = json.loads(out.stdout)
    assert verdict["valid"] is True and verdict["pinned"] is True
    assert bytes.fromhex(verdict["journal_hex"]) == b"4 numbers, mean 2.625000\n"


def test_installed_zkwb_worker_proves_segments_for_the_installed_driver(installed, bare_env,
                                                                        tmp_path):
    """docs/distributed.md: a package user starts a worker with `zkwb worker ADDRESS`
    (Dask's worker and its nanny, in the bundled Python) and proves with `zkwb prove
    --cluster ADDRESS`, or with `--workers N` alone. Each in its own fresh home, as on
    machines of their own; the scheduler is Dask's own (this checkout's environment)."""
    import sys

    from tests.distributed.support import free_port, wait_for

    zkwb = installed / "zkwb"
    guests = installed / "_internal" / "resources" / "guests"
    address = f"tcp://127.0.0.1:{free_port()}"
    logs = {name: open(tmp_path / f"{name}.log", "wb") for name in ("scheduler", "worker")}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", address.rsplit(":", 1)[1], "--no-dashboard", "--no-show"],
        stdout=logs["scheduler"], stderr=subprocess.STDOUT)
    worker = subprocess.Popen([str(zkwb), "worker", address, "--name", "packaged",
                               "--host", "127.0.0.1", "--no-dashboard"], env=bare_env(),
                              stdout=logs["worker"], stderr=subprocess.STDOUT)
    try:
        worker_log = tmp_path / "worker.log"
        wait_for(lambda: b"Registered to" in worker_log.read_bytes() or worker.poll() is not None,
                 300, "the packaged worker to join the scheduler")
        assert worker.poll() is None, worker_log.read_text(errors="replace")[-3000:]
        for how in (["--cluster", address], ["--workers", "1"]):
            env = bare_env()
            receipt = tmp_path / f"sha256{how[0]}.zkr"
            proving = run(zkwb, "prove", str(guests / "sha256.elf"), "--segment-rows", "1024",
                          *how, "-o", str(receipt), "--json", env=env, timeout=900)
            assert proving.returncode == 0, (how, proving.stderr[-3000:],
                                             worker_log.read_text(errors="replace")[-3000:])
            proved = json.loads(proving.stdout)
            assert proved["segment_count"] > 1
            if how[0] == "--cluster":
                assert all(s["worker"] for s in proved["segments"])
            # The bundle carries Dask's packages' metadata: no version-mismatch table.
            assert "Mismatched versions" not in proving.stderr
            out = run(zkwb, "verify", str(receipt), "--elf", str(guests / "sha256.elf"),
                      "--json", env=env, timeout=600)
            assert out.returncode == 0, out.stderr
            verdict = json.loads(out.stdout)
            assert verdict["valid"] is True and verdict["segments"] == proved["segment_count"]
        assert b"Mismatched versions" not in worker_log.read_bytes()
    finally:
        for process in (worker, scheduler):
            process.terminate()
        for process in (worker, scheduler):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs.values():
            log.close()
