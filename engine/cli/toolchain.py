"""``zkwb new``, ``zkwb build``, ``zkwb cc`` and ``zkwb c++``: the guest toolchain
(docs/writing-guests.md).

``zkwb cc`` wraps Debian's ``riscv64-unknown-elf-gcc`` with what a zkwb guest needs:
``-march=rv32im -mabi=ilp32 --specs=picolibc.specs`` always; when linking also
``-nostartfiles -T link.ld``, the SDK's objects (compiled once into a per-user cache)
and ``--gc-sections``. Every other flag passes through, so ``make CC="zkwb cc"`` builds
an existing code base. The SDK is found by the engine's resources locator, so the same
commands work from a development checkout and from the installed package.
"""
from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

from engine.cli.common import EXIT_OK, EXIT_USAGE
from engine.errors import ZkwbError
from engine.runtime.resources import guests_dir

CROSS_PREFIX = "riscv64-unknown-elf-"
DEBIAN_PACKAGES = "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf"
ARCH = ("-march=rv32im", "-mabi=ilp32")
SPECS = "--specs=picolibc.specs"
# The SDK's objects are compiled like the sample guests' (resources/guests/Makefile).
SDK_CFLAGS = ("-O2", "-g0", "-std=c11", "-ffunction-sections", "-fdata-sections",
              "-fno-asynchronous-unwind-tables", "-fno-tree-loop-distribute-patterns")
SDK_CXXFLAGS = ("-O2", "-g0", "-ffunction-sections", "-fdata-sections",
                "-fno-asynchronous-unwind-tables", "-fno-exceptions", "-fno-rtti")
# What a C file and a C++ file are compiled with besides the user's own flags.
COMPILE_FLAGS = ("-ffunction-sections", "-fdata-sections")
CXX_FLAGS = ("-fno-exceptions", "-fno-rtti", "-fno-threadsafe-statics")
LINK_FLAGS = ("-nostartfiles", "-Wl,--gc-sections", "-Wl,-z,max-page-size=4096",
              "-Wl,--build-id=none")
# picolibc.specs turns this define, given when linking, into --defsym=vfprintf=__i_vfprintf.
INTEGER_PRINTF = "-DPICOLIBC_INTEGER_PRINTF_SCANF"
# Linked by zkwb cc besides the Makefile's SDK_OBJS (the samples do without them): the
# readable link error for fopen/open/close/lseek, and operator new/delete for C++.
SUPPORT_SOURCES = ("nofiles.c", "new.cpp")
CXX_SUFFIXES = (".cpp", ".cc", ".cxx", ".c++", ".C", ".cp", ".CPP")
SOURCE_SUFFIXES = (".c", ".S", ".s") + CXX_SUFFIXES
# Single-letter extensions zkwb executes; everything else in a -march string is refused.
ALLOWED_EXTENSIONS = {"i", "m"}
ALLOWED_MULTI = {"zmmul"}
EXTENSION_NAMES = {"a": "A (atomics)", "f": "F (single-precision float)",
                   "d": "D (double-precision float)", "q": "Q (quad float)",
                   "c": "C (compressed instructions)", "v": "V (vectors)",
                   "e": "E (the 16-register base)", "g": "G (IMAFD plus Zicsr and Zifencei)",
                   "b": "B (bit manipulation)"}


class ToolchainError(ZkwbError):
    """The guest cannot be built: a missing tool, a refused flag, a failed compile."""


# --- where things are --------------------------------------------------------------------

def sdk_dir() -> str:
    """The guest SDK: resources/guests/sdk beside the engine, or inside the package."""
    return os.path.join(guests_dir(), "sdk")


def toolchain_file() -> str:
    """The CMake toolchain file (``-DCMAKE_TOOLCHAIN_FILE=...``)."""
    return os.path.join(sdk_dir(), "cmake", "zkwb-toolchain.cmake")


def sdk_sources() -> list[str]:
    """The SDK's sources, in link order: the objects the guests' Makefile lists in
    ``SDK_OBJS`` (read from it, so that an object added there is linked here too)."""
    folder = sdk_dir()
    makefile = os.path.join(os.path.dirname(folder), "Makefile")
    try:
        with open(makefile, encoding="utf-8") as f:
            text = f.read().replace("\\\n", " ")
    except OSError as e:
        raise ToolchainError(f"the guest SDK is incomplete: cannot read {makefile} ({e})") from None
    names: list[str] = []
    for match in re.finditer(r"^SDK_OBJS\s*(?::=|\+=|\?=|=)(.*)$", text, re.MULTILINE):
        for obj in re.findall(r"\$\(BUILD_DIR\)/sdk/([A-Za-z0-9_]+)\.o", match[1]):
            if obj not in names:
                names.append(obj)
    if not names:
        raise ToolchainError(f"the guest SDK is incomplete: {makefile} lists no SDK_OBJS")
    sources = []
    for name in names:
        found = [os.path.join(folder, name + ext) for ext in (".c", ".S")
                 if os.path.isfile(os.path.join(folder, name + ext))]
        if not found:
            raise ToolchainError(f"the guest SDK is incomplete: no {name}.c or {name}.S in "
                                 f"{folder}")
        sources.append(found[0])
    return sources


def cross_tool(name: str) -> str:
    """The cross compiler's ``name`` (``gcc``, ``g++``), or an error naming the packages."""
    prefix = os.environ.get("ZKWB_CROSS", CROSS_PREFIX)
    path = shutil.which(prefix + name)
    if path is None:
        raise ToolchainError(
            f"the RISC-V cross compiler {prefix}{name} is not installed. On Debian or Ubuntu: "
            f"sudo apt install {DEBIAN_PACKAGES} (zkwb builds guests with Debian's "
            "riscv64-unknown-elf toolchain and the picolibc C library)")
    return path


def _check_picolibc(gcc: str) -> None:
    found = subprocess.run([gcc, *ARCH, "-print-file-name=picolibc.specs"],
                           capture_output=True, text=True, check=False).stdout.strip()
    if not os.path.isabs(found):
        raise ToolchainError(
            "the picolibc C library for the RISC-V cross compiler is not installed "
            f"({gcc} finds no picolibc.specs). On Debian or Ubuntu: "
            "sudo apt install picolibc-riscv64-unknown-elf")


def launcher() -> str:
    """How a Makefile runs this zkwb: ``zkwb`` when that is the one on the PATH, else
    its full path (a development checkout's .venv/bin/zkwb, the package's /opt/zkwb/zkwb)."""
    if getattr(sys, "frozen", False):
        me = sys.executable
    else:
        me = os.path.abspath(sys.argv[0]) if os.path.basename(sys.argv[0]) == "zkwb" else None
        if me is None:
            beside = os.path.join(os.path.dirname(sys.executable), "zkwb")
            me = beside if os.path.isfile(beside) else None
        if me is None:
            return f"{shlex.quote(sys.executable)} -m engine.cli"
    on_path = shutil.which("zkwb")
    if on_path and os.path.realpath(on_path) == os.path.realpath(me):
        return "zkwb"
    return shlex.quote(me)


# --- the SDK's objects, compiled once ------------------------------------------------------

def _cache_root() -> str:
    given = os.environ.get("ZKWB_SDK_CACHE")
    if given:
        return given
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "zkwb", "sdk")


def sdk_objects(gcc: str) -> list[str]:
    """The SDK's objects (crt0 first) and the support objects, compiled with ``gcc``
    into a per-user cache, keyed by the compiler's version, the sources and the flags."""
    folder = sdk_dir()
    sources = sdk_sources() + [os.path.join(folder, name) for name in SUPPORT_SOURCES]
    version = subprocess.run([gcc, "--version"], capture_output=True, text=True,
                             check=False).stdout
    key = hashlib.sha256()
    key.update(version.encode() + repr((ARCH, SDK_CFLAGS, SDK_CXXFLAGS)).encode())
    for path in sorted(set(sources) | {os.path.join(folder, "zkwb.h")}):
        with open(path, "rb") as f:
            key.update(os.path.basename(path).encode() + b"\0" + f.read())
    target = os.path.join(_cache_root(), key.hexdigest()[:20])
    objects = [os.path.join(target, os.path.basename(s).rsplit(".", 1)[0] + ".o")
               for s in sources]
    if all(os.path.isfile(o) for o in objects):
        return objects
    _check_picolibc(gcc)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    work = tempfile.mkdtemp(prefix=".sdk-", dir=os.path.dirname(target))
    try:
        for source, obj in zip(sources, objects):
            out = os.path.join(work, os.path.basename(obj))
            if source.endswith(".S"):
                command = [gcc, *ARCH, "-c", "-o", out, source]
            elif source.endswith(".cpp"):
                command = [cross_tool("g++"), *ARCH, SPECS, *SDK_CXXFLAGS, f"-I{folder}",
                           "-c", "-o", out, source]
            else:
                command = [gcc, *ARCH, SPECS, *SDK_CFLAGS, f"-I{folder}", "-c", "-o", out,
                           source]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise ToolchainError(f"compiling the guest SDK's {os.path.basename(source)} "
                                     f"failed:\n{done.stderr.strip()}")
        try:
            os.rename(work, target)
        except OSError:
            if not all(os.path.isfile(o) for o in objects):    # not another process's
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return objects


# --- flags ---------------------------------------------------------------------------------

def check_march(value: str) -> None:
    """Refuse an ISA string zkwb cannot run, saying why and what to do instead."""
    isa = value.lower()
    fix = ("drop the flag: zkwb cc supplies -march=rv32im -mabi=ilp32, and float and double "
           "still work, in software (libgcc's soft-float)")
    if not isa.startswith("rv32"):
        raise ToolchainError(f"-march={value}: zkwb runs 32-bit RISC-V guests (RV32IM), "
                             f"not {isa[:4] or value}; {fix}")
    base, _, rest = isa[4:].partition("_")
    letters = re.sub(r"\d+p\d+|\d+", "", base)
    refused = [c for c in letters if c not in ALLOWED_EXTENSIONS]
    multi = [m for m in rest.split("_") if m and m not in ALLOWED_MULTI]
    if not letters.startswith("i") and "e" not in letters and "g" not in letters:
        refused.insert(0, letters[:1] or "?")
    if refused or multi:
        named = [EXTENSION_NAMES.get(c, c.upper()) for c in dict.fromkeys(refused)]
        for m in multi:
            named.append(f"{m} (no CSRs in zkwb but the cycle counter: rdcycle and friends "
                         "assemble without it)" if m == "zicsr" else m)
        raise ToolchainError(f"-march={value} asks for {', '.join(named)}, which zkwb does not "
                             "execute: zkwb is RV32IM with the soft-float ABI (ilp32), and a "
                             f"guest must contain only RV32I and M instructions; {fix}")


def check_mabi(value: str) -> None:
    if value != "ilp32":
        raise ToolchainError(f"-mabi={value}: zkwb guests use the soft-float ABI ilp32 (no "
                             "floating-point registers: zkwb is RV32IM); drop the flag, "
                             "zkwb cc supplies -mabi=ilp32")


def _split_user_flags(args: list[str]) -> tuple[list[str], dict]:
    """The user's arguments without ``-march``/``-mabi`` (checked, then left to us) and
    what they say: compile only, C++ sources, integer printf."""
    kept: list[str] = []
    info = {"link": True, "cxx_source": False, "inputs": 0}
    language = None
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-march="):
            check_march(a.split("=", 1)[1])
        elif a.startswith("-mabi="):
            check_mabi(a.split("=", 1)[1])
        elif a in ("-march", "-mabi") and i + 1 < len(args):
            (check_march if a == "-march" else check_mabi)(args[i + 1])
            i += 1
        else:
            kept.append(a)
            if a in ("-c", "-S", "-E") or a in ("-M", "-MM"):
                info["link"] = False
            elif a == "-x" and i + 1 < len(args):
                language = args[i + 1]
                kept.append(language)
                i += 1
            elif a.startswith("-x") and len(a) > 2:
                language = a[2:]
            elif a in ("-o", "-MF", "-MT", "-MQ", "-I", "-include", "-D", "-U", "-L", "-l",
                       "-T", "-Xlinker", "-idirafter", "-isystem", "-iquote") \
                    and i + 1 < len(args):
                kept.append(args[i + 1])
                if a == "-T":
                    info["script"] = True
                i += 1
            elif a.startswith("-T"):
                info["script"] = True
            elif not a.startswith("-"):
                info["inputs"] += 1
                if a.endswith(CXX_SUFFIXES) or (language or "").startswith("c++"):
                    info["cxx_source"] = True
        i += 1
    return kept, info


def compiler_command(args: list[str], cxx: bool = False) -> list[str]:
    """The cross-compiler command line ``zkwb cc ARGS`` (``zkwb c++`` when ``cxx``) runs."""
    user, info = _split_user_flags(args)
    gcc = cross_tool("gcc")
    if info["inputs"] == 0 and not any(a in ("--version", "-v", "--help") or a.startswith(("-print", "-dump"))
            for a in user):
        raise ToolchainError("no input files (zkwb cc compiles and links like gcc: "
                             "zkwb cc -O2 -o guest.elf main.c)")
    folder = sdk_dir()
    # C++ sources go through g++ to compile; every link goes through gcc, which does not
    # ask for the libstdc++ that Debian does not ship for this target.
    driver = cross_tool("g++") if cxx and not info["link"] else gcc
    compile_flags = [*COMPILE_FLAGS, f"-I{folder}"]
    if cxx or info["cxx_source"]:
        compile_flags += CXX_FLAGS
    command = [driver, *ARCH, SPECS, *compile_flags]
    if info["link"] and info["inputs"]:
        _check_picolibc(gcc)
        script = [] if info.get("script") else ["-T", os.path.join(folder, "link.ld")]
        command += [*LINK_FLAGS, *script, *sdk_objects(gcc)]
    return command + user


def run_compiler(args: list[str], cxx: bool = False) -> int:
    command = compiler_command(args, cxx)
    if os.environ.get("ZKWB_CC_VERBOSE"):
        print(shlex.join(command), file=sys.stderr)
    done = subprocess.run(command, check=False)
    return done.returncode


# --- zkwb build and zkwb new ---------------------------------------------------------------

def project_sources(folder: str) -> list[str]:
    found = []
    for sub in (folder, os.path.join(folder, "src")):
        if os.path.isdir(sub):
            found += sorted(os.path.join(sub, f) for f in os.listdir(sub)
                            if f.endswith(SOURCE_SUFFIXES) and not f.startswith("."))
    return found


def build_project(folder: str, output: str | None = None, integer_printf: bool = False,
                  cflags: list[str] | None = None, say=None) -> str:
    """Compile and link every source of a project (``*.c``, ``*.cpp``, ``*.S`` in it and
    in its ``src/``) into ``NAME.elf``, NAME being the folder's name; returns the path."""
    folder = os.path.abspath(folder)
    sources = project_sources(folder)
    if not sources:
        raise ToolchainError(f"no C, C++ or assembly sources in {folder} or its src/ "
                             "(zkwb new NAME writes a project to start from)")
    name = os.path.basename(folder)
    output = os.path.abspath(output or os.path.join(folder, f"{name}.elf"))
    build = os.path.join(folder, "build")
    os.makedirs(build, exist_ok=True)
    flags = list(cflags) if cflags else ["-O2", "-Wall", "-Wextra"]
    objects = []
    for source in sources:
        rel = os.path.relpath(source, folder)
        obj = os.path.join(build, rel.replace(os.sep, "_").rsplit(".", 1)[0] + ".o")
        if say:
            say(f"compiling {rel}")
        command = compiler_command([*flags, f"-ffile-prefix-map={folder}=.", "-c", "-o", obj,
                                    source])
        if subprocess.run(command, cwd=folder, check=False).returncode != 0:
            raise ToolchainError(f"compiling {rel} failed (the compiler's message is above)")
        objects.append(obj)
    link = [*flags, "-o", output, *objects]
    if integer_printf:
        link.append(INTEGER_PRINTF)
    if say:
        say(f"linking {os.path.relpath(output, folder)}")
    if subprocess.run(compiler_command(link), cwd=folder, check=False).returncode != 0:
        raise ToolchainError("linking failed (the linker's message is above)")
    return output


def write_project(parent: str, name: str, zkwb: str) -> str:
    """Write the guest project ``parent/name`` (main.c, Makefile, README.md, input.txt)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
        raise ToolchainError(f"{name!r} is not a project name: use letters, digits, _ and -, "
                             "starting with a letter")
    folder = os.path.join(parent, name)
    if os.path.exists(folder):
        raise ToolchainError(f"{folder} already exists")
    from engine.cli import project_template
    os.makedirs(folder)
    for filename, text in project_template.files(name, zkwb).items():
        with open(os.path.join(folder, filename), "w", encoding="utf-8") as f:
            f.write(text)
    return folder


# --- the commands --------------------------------------------------------------------------

def add_commands(sub) -> None:
    p = sub.add_parser("new", help="write a new guest project (C source, Makefile, README)")
    p.add_argument("name", metavar="NAME", help="the project's folder and program name")
    p.add_argument("--dir", default=".", metavar="PARENT",
                   help="where to create it (default: here)")
    p.set_defaults(run=_cmd_new)

    p = sub.add_parser("build", help="build the guest project in a folder into NAME.elf",
                       description="Compiles every .c, .cpp and .S file of the project (the "
                                   "folder and its src/) with zkwb cc and links NAME.elf, "
                                   "NAME being the folder's name.")
    p.add_argument("folder", nargs="?", default=".", metavar="FOLDER")
    p.add_argument("-o", dest="output", metavar="OUT.elf", help="the program to write")
    p.add_argument("--integer-printf", action="store_true",
                   help="link picolibc's integer-only printf/scanf: no %%f, about 10 KB less "
                        "code (docs/writing-guests.md)")
    p.add_argument("--cflags", metavar="FLAGS",
                   help="compiler flags instead of the default -O2 -Wall -Wextra")
    p.set_defaults(run=_cmd_build)

    # Everything after cc/c++ is the compiler's: no option of zkwb's own is parsed there.
    for name, cxx in (("cc", False), ("c++", True)):
        p = sub.add_parser(name, add_help=False, prefix_chars="\0",
                           help=f"the RISC-V {'C++' if cxx else 'C'} compiler for guests, "
                                f"usable as {'CXX' if cxx else 'CC'}= in a Makefile "
                                "(gcc's flags; --print-sdk, --print-toolchain-file)")
        p.add_argument("args", nargs="...")
        p.set_defaults(run=_cmd_cxx if cxx else _cmd_cc)


def _cmd_new(args) -> int:
    folder = write_project(args.dir, args.name, launcher())
    rel = os.path.relpath(folder)
    print(f"wrote {rel}/: main.c, Makefile, README.md, input.txt\n"
          f"  cd {shlex.quote(rel)}\n"
          f"  zkwb build                                   # or: make\n"
          f"  zkwb prove {args.name}.elf --input input.txt -o {args.name}.zkr\n"
          f"  zkwb verify {args.name}.zkr --elf {args.name}.elf")
    return EXIT_OK


def _cmd_build(args) -> int:
    cflags = shlex.split(args.cflags) if args.cflags is not None else None
    out = build_project(args.folder, args.output, args.integer_printf, cflags,
                        say=lambda text: print(f"{text}", file=sys.stderr, flush=True))
    print(os.path.relpath(out))
    return EXIT_OK


def _print_request(argv: list[str]) -> int | None:
    if argv == ["--print-sdk"]:
        print(sdk_dir())
    elif argv == ["--print-toolchain-file"]:
        print(toolchain_file())
    elif argv == ["--print-sdk-objects"]:
        print(";".join(sdk_objects(cross_tool("gcc"))))
    elif argv and argv[0] in ("--help", "-h") and len(argv) == 1:
        print("usage: zkwb cc|c++ [gcc flags] FILE...\n"
              "  compiles and links RV32IM zkwb guests with riscv64-unknown-elf-gcc, adding\n"
              "  -march=rv32im -mabi=ilp32 --specs=picolibc.specs, and when linking\n"
              "  -nostartfiles -T link.ld, the SDK's objects and --gc-sections.\n"
              f"  {INTEGER_PRINTF} when linking: integer-only printf.\n"
              "  ZKWB_CC_VERBOSE=1 prints the command run.\n"
              "  zkwb cc --print-sdk | --print-toolchain-file | --print-sdk-objects")
    else:
        return None
    return EXIT_OK


def _cmd_cc(args) -> int:
    done = _print_request(args.args)
    return done if done is not None else _exit_status(run_compiler(args.args))


def _cmd_cxx(args) -> int:
    done = _print_request(args.args)
    return done if done is not None else _exit_status(run_compiler(args.args, cxx=True))


def _exit_status(code: int) -> int:
    return code if 0 <= code < 256 else EXIT_USAGE
