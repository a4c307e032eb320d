"""Build, key, install and verify the llama-cpp-python wheel (stdlib only: it runs at set-up).

pip's wheel cache is keyed by the source, not by CMAKE_ARGS, so a wheel built earlier with other
flags (native, from an older checkout) could be reused silently. Here a wheel lives in a folder
keyed by a hash of (llama-cpp-python version, CMake flags), is built with --no-cache-dir, and is
installed from that file with --no-index; the installed shared libraries are then compared, byte
for byte through the wheel's RECORD, with the wheel's, and the build's reported CPU features with
the flags chosen in llama-build/cpu-flags.

    python llama-build/wheel.py install          build or reuse the keyed wheel; install it unless
                                                 the installed llama_cpp already is that wheel
    python llama-build/wheel.py verify           exit 1 unless the installed llama_cpp is that
                                                 wheel and reports the chosen CPU features
    python llama-build/wheel.py wheel [--native] the keyed wheel's path (built when absent)
    python llama-build/wheel.py adopt WHEEL --cmake-args "..."
                                                 file a wheel built by hand under its key
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.metadata
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGS_FILE = ROOT / "llama-build" / "cpu-flags"
WHEELS = ROOT / "llama-build" / "wheels"  # not under .rag: `make clean` must not cost a rebuild
DIST = "llama-cpp-python"
LIBS = "llama_cpp/lib/"
# ggml's names for the instruction sets it reports in llama_print_system_info(), by CMake flag.
FEATURES = {
    "GGML_AVX": "AVX",
    "GGML_AVX2": "AVX2",
    "GGML_FMA": "FMA",
    "GGML_F16C": "F16C",
    "GGML_BMI2": "BMI2",
    "GGML_AVX_VNNI": "AVX_VNNI",
    "GGML_AVX512": "AVX512",
    "GGML_AVX512_VBMI": "AVX512_VBMI",
    "GGML_AVX512_VNNI": "AVX512_VNNI",
    "GGML_AVX512_BF16": "AVX512_BF16",
    "GGML_AMX_INT8": "AMX_INT8",
}


class BuildError(Exception):
    """Said in one sentence, then set-up stops."""


def pinned_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    deps: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    for dep in deps:
        name, _, version = dep.partition("==")
        if name.strip() == DIST:
            return version.strip()
    raise BuildError(f"pyproject.toml does not pin {DIST}==<version>.")


def read_flags(path: Path = FLAGS_FILE) -> list[str]:
    flags: list[str] = []
    for line in path.read_text().splitlines():
        flags += shlex.split(line.partition("#")[0])
    return check_flags(flags)


def check_flags(flags: list[str]) -> list[str]:
    names = [f.partition("=")[0] for f in flags]
    bad = [f for f in flags if not f.startswith("-D") or "=" not in f]
    if bad or len(set(names)) != len(names):
        raise BuildError(f"CMake flags must be distinct -DNAME=VALUE items, not {flags}.")
    return flags


def settings_of(flags: list[str]) -> dict[str, str]:
    return {k.removeprefix("-D"): v.upper() for k, _, v in (f.partition("=") for f in flags)}


def is_native(flags: list[str]) -> bool:
    """ggml's default is GGML_NATIVE=ON (-march=native): the build machine's own instructions."""
    return settings_of(flags).get("GGML_NATIVE", "ON") != "OFF"


def host_cpu() -> str:
    """The CPU model and its flags: what -march=native compiles for."""
    try:
        info = Path("/proc/cpuinfo").read_text().split("\n\n")[0]
    except OSError:
        return platform.processor() or platform.machine()
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    return f"{fields.get('model name', '?')}; flags: {fields.get('flags', '?')}"


def build_key(version: str, flags: list[str]) -> str:
    # Sorted: reordering lines of the flags file must not force a rebuild.
    text = f"{DIST}=={version}\n" + "\n".join(sorted(flags))
    if is_native(flags):  # the same flags build other code on another CPU
        text += "\nhost: " + host_cpu()
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def wheel_dir(version: str, flags: list[str], root: Path = WHEELS) -> Path:
    return root / f"{DIST}-{version}-{build_key(version, flags)}"


def find_wheel(folder: Path, version: str) -> Path | None:
    found = sorted(folder.glob(f"{DIST.replace('-', '_')}-{version}-*.whl"))
    if len(found) > 1:
        raise BuildError(f"{folder} holds {len(found)} wheels; remove it and run `make setup`.")
    return found[0] if found else None


def build_wheel(version: str, flags: list[str], root: Path = WHEELS) -> Path:
    """The keyed wheel, built from the sdist when absent (about 7 minutes on 2 cores)."""
    folder = wheel_dir(version, flags, root)
    if folder.is_dir() and (wheel := find_wheel(folder, version)):
        return wheel
    partial = folder.with_name(folder.name + ".partial")  # a killed build leaves no keyed wheel
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKBUILD_CMAKE")}
    env["CMAKE_ARGS"] = " ".join(flags)  # only these flags: nothing from the caller's shell
    print(f"Building {DIST}=={version} with CMAKE_ARGS={env['CMAKE_ARGS']!r} into {folder}")
    cmd = [sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--no-cache-dir"]
    cmd += ["--no-deps", "--no-binary", DIST, "-w", str(partial), f"{DIST}=={version}"]
    if subprocess.run(cmd, env=env).returncode != 0:
        raise BuildError(f"Building {DIST}=={version} failed; see the compiler output above.")
    record_build(partial, version, flags)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    wheel = find_wheel(folder, version)
    assert wheel is not None
    return wheel


def record_build(folder: Path, version: str, flags: list[str], **extra: str) -> None:
    info = {"version": version, "cmake_args": flags, "key": build_key(version, flags)}
    info |= {"host": host_cpu(), **extra}
    (folder / "build.json").write_text(json.dumps(info, indent=2) + "\n")


def wheel_libs(wheel: Path) -> dict[str, str]:
    """The shared libraries a wheel carries, with their RECORD hashes (sha256=<urlsafe b64>)."""
    with zipfile.ZipFile(wheel) as zf:
        record = next(n for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
        rows = [line.split(",") for line in zf.read(record).decode().splitlines()]
    return {r[0]: r[1] for r in rows if len(r) >= 2 and r[0].startswith(LIBS)}


def file_hash(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def installed_difference(wheel: Path, version: str) -> str | None:
    """Why the installed llama_cpp is not this wheel, or None when its libraries are the same."""
    try:
        dist = importlib.metadata.distribution(DIST)
    except importlib.metadata.PackageNotFoundError:
        return f"{DIST} is not installed"
    if dist.version != version:
        return f"{DIST} {dist.version} is installed, not {version}"
    expected = wheel_libs(wheel)
    installed = {str(f) for f in dist.files or [] if str(f).startswith(LIBS)}
    if extra := sorted(installed - expected.keys()):
        return f"the installed build has libraries the wheel lacks ({', '.join(extra)})"
    for name, digest in expected.items():
        path = Path(str(dist.locate_file(name)))
        if not path.is_file() or file_hash(path) != digest:
            return f"the installed {name} differs from the one in {wheel.parent.name}"
    return None


def install(version: str, flags: list[str]) -> None:
    wheel = build_wheel(version, flags)
    why = installed_difference(wheel, version)
    if why is None:
        return
    print(f"Installing {wheel.relative_to(ROOT)}: {why}.")
    cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    cmd += ["--no-index", "--no-deps", "--force-reinstall", str(wheel)]
    if subprocess.run(cmd).returncode != 0:
        raise BuildError(f"Installing {wheel} failed.")


def reported_features() -> set[str]:
    """The instruction sets the installed ggml CPU backend was compiled with, as it says."""
    code = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise BuildError(f"`import llama_cpp` failed ({tail}); run `make setup`.")
    items = (item.partition("=") for item in out.stdout.replace(":", "|").split("|"))
    return {k.strip() for k, _, v in items if v.strip() == "1"}


def verify(version: str, flags: list[str]) -> str:
    folder = wheel_dir(version, flags)
    wheel = find_wheel(folder, version) if folder.is_dir() else None
    if wheel is None:
        raise BuildError(f"No wheel in {folder} for llama-build/cpu-flags: run `make setup`.")
    if why := installed_difference(wheel, version):
        raise BuildError(
            f"The installed {DIST} is not the portable build: {why}; run `make setup`."
        )
    have = reported_features()
    wanted = settings_of(flags)
    if not is_native(flags):
        on = {f for k, f in FEATURES.items() if wanted.get(k) == "ON"}
        off = {f for k, f in FEATURES.items() if wanted.get(k, "OFF") == "OFF"}
        if on - have or have & off:
            raise BuildError(
                f"The installed {DIST} reports CPU features {sorted(have & set(FEATURES.values()))}"
                f", not those llama-build/cpu-flags asks for ({sorted(on)}); run `make setup`."
            )
    return f"{DIST} {version} from {wheel.relative_to(ROOT)}: {' '.join(sorted(have))}"


def adopt(wheel: Path, cmake_args: str, version: str) -> Path:
    flags = check_flags(shlex.split(cmake_args))
    folder = wheel_dir(version, flags)
    if not folder.is_dir() or find_wheel(folder, version) is None:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(wheel, folder / wheel.name)
        record_build(folder, version, flags, adopted_from=str(wheel))
    return find_wheel(folder, version) or folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install")
    sub.add_parser("verify")
    wheel = sub.add_parser("wheel")
    wheel.add_argument("--native", action="store_true", help="GGML_NATIVE=ON, ggml's default")
    ad = sub.add_parser("adopt")
    ad.add_argument("wheel", type=Path)
    ad.add_argument("--cmake-args", required=True, help="the CMAKE_ARGS it was built with")
    args = parser.parse_args(argv)
    try:
        version = pinned_version()
        if args.command == "adopt":
            print(adopt(args.wheel, args.cmake_args, version))
            return 0
        flags = [] if getattr(args, "native", False) else read_flags()
        if args.command == "install":
            install(version, flags)
        elif args.command == "verify":
            print(verify(version, flags))
        else:
            print(build_wheel(version, flags))
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
