"""The guest toolchain (engine/cli/toolchain.py, docs/writing-guests.md): zkwb new, build,
cc, c++ and the CMake toolchain file, from the development checkout. Needs the cross
compiler, picolibc, qemu-riscv32 and cmake: missing ones skip (fail in CI)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.vm.qemu import run_qemu

ZKWB = Path(sys.executable).with_name("zkwb")


def zkwb(*args: str, cwd: Path, env: dict | None = None, timeout: float = 600):
    return subprocess.run([str(ZKWB), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(autouse=True)
def _tools(tmp_path, monkeypatch):
    require_tool("riscv64-unknown-elf-gcc")
    monkeypatch.setenv("ZKWB_SDK_CACHE", str(tmp_path / "sdk-cache"))


def test_new_build_prove_verify_a_fresh_project(tmp_path):
    out = zkwb("new", "demo", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    project = tmp_path / "demo"
    assert {"main.c", "Makefile", "README.md", "input.txt"} <= {p.name for p in project.iterdir()}
    assert "zkwb prove demo.elf" in (project / "README.md").read_text()
    built = zkwb("build", cwd=project)
    assert built.returncode == 0, built.stderr
    elf = project / "demo.elf"
    run = zkwb("execute", str(elf), "--input", "input.txt", "--json", cwd=project)
    assert json.loads(run.stdout)["journal_text"] == "4 numbers, mean 2.625000\n"
    assert run_qemu(elf, b"1 2 3.5 4\n").stdout == b"4 numbers, mean 2.625000\n"
    proved = zkwb("prove", "demo.elf", "--input", "input.txt", "-o", "demo.zkr", "--json",
                  cwd=project)
    assert proved.returncode == 0, proved.stderr[-2000:]
    verified = zkwb("verify", "demo.zkr", "--elf", "demo.elf", "--json", cwd=project)
    assert verified.returncode == 0 and json.loads(verified.stdout)["valid"] is True
    # The project's Makefile builds the same program through zkwb cc.
    require_tool("make")
    made = subprocess.run(["make", "-B"], cwd=project, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    assert run_qemu(elf, b"5\n").stdout == b"1 numbers, mean 5.000000\n"


def test_zkwb_cc_as_CC_of_an_existing_makefile(tmp_path):
    require_tool("make")
    (tmp_path / "Makefile").write_text("prog: a.o b.o\n\t$(CC) $(CFLAGS) -o $@ $^\n")
    (tmp_path / "a.c").write_text('#include <stdio.h>\nint f(int);\n'
                                  'int main(void){printf("f=%d %.2f\\n", f(3), 0.25);return 0;}\n')
    (tmp_path / "b.c").write_text("int f(int x){return x*7;}\n")
    done = subprocess.run(["make", f"CC={ZKWB} cc", "CFLAGS=-O1 -DUNUSED=1"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert run_qemu(tmp_path / "prog").stdout == b"f=21 0.25\n"
    out = zkwb("execute", "prog", "--json", cwd=tmp_path)
    assert json.loads(out.stdout)["journal_text"] == "f=21 0.25\n"


def test_cmake_toolchain_builds_a_guest(tmp_path):
    cmake = require_tool("cmake")
    require_tool("make")
    (tmp_path / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.13)\nproject(g C CXX)\nadd_executable(g main.c)\n")
    (tmp_path / "main.c").write_text('#include <stdio.h>\nint main(void){puts("cmake");return 0;}\n')
    toolchain = zkwb("cc", "--print-toolchain-file", cwd=tmp_path).stdout.strip()
    conf = subprocess.run([cmake, f"-DCMAKE_TOOLCHAIN_FILE={toolchain}", f"-DZKWB={ZKWB}",
                           "-B", "build"], cwd=tmp_path, capture_output=True, text=True)
    assert conf.returncode == 0, conf.stderr
    done = subprocess.run([cmake, "--build", "build"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert run_qemu(tmp_path / "build" / "g").stdout == b"cmake\n"


def test_float_printf_is_the_same_under_zkwb_and_qemu(tmp_path):
    src = tmp_path / "f.c"
    src.write_text('#include <stdio.h>\nint main(void){volatile double x = 3.14159;'
                   'printf("%f %.3e %g %8.2f\\n", x, x * 1e5, x / 7, -x);return 0;}\n')
    assert zkwb("cc", "-O2", "-o", "f.elf", str(src), cwd=tmp_path).returncode == 0
    expected = b"3.141590 3.142e+05 0.448799    -3.14\n"
    assert run_qemu(tmp_path / "f.elf").stdout == expected
    out = zkwb("execute", "f.elf", "--json", cwd=tmp_path)
    assert bytes.fromhex(json.loads(out.stdout)["journal_hex"]) == expected
    # One flag turns the integer-only printf back on: %f is not formatted.
    assert zkwb("cc", "-O2", "-DPICOLIBC_INTEGER_PRINTF_SCANF", "-o", "i.elf", str(src),
                cwd=tmp_path).returncode == 0
    assert run_qemu(tmp_path / "i.elf").stdout != expected


TIMERS_C = r"""#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <zkwb.h>
int main(void)
{
    clock_t c0 = clock();
    time_t t0 = time(NULL);
    struct timeval tv0, tv1;
    struct timespec ts0, ts1, res;
    gettimeofday(&tv0, NULL);
    clock_gettime(CLOCK_MONOTONIC, &ts0);
    volatile unsigned sink = 0;
    for (unsigned i = 0; i < 20000; i++)
        sink += i;
    clock_t c1 = clock();
    gettimeofday(&tv1, NULL);
    clock_gettime(CLOCK_MONOTONIC, &ts1);
    clock_getres(CLOCK_MONOTONIC, &res);
    long long us0 = tv0.tv_sec * 1000000LL + tv0.tv_usec;
    long long us1 = tv1.tv_sec * 1000000LL + tv1.tv_usec;
    long long ns0 = ts0.tv_sec * 1000000000LL + ts0.tv_nsec;
    long long ns1 = ts1.tv_sec * 1000000000LL + ts1.tv_nsec;
    printf("clock advances %d\n", c1 > c0);
    printf("gettimeofday advances %d, usec < 1e6 %d\n", us1 > us0, tv1.tv_usec < 1000000);
    printf("clock_gettime advances %d, nsec < 1e9 %d, res > 0 %d\n", ns1 > ns0,
           ts1.tv_nsec < 1000000000L, res.tv_nsec > 0 || res.tv_sec > 0);
    printf("time is seconds %d, CLOCKS_PER_SEC %ld\n", t0 >= 0, (long)CLOCKS_PER_SEC);
    printf("zkwb_cycles advances %d\n", zkwb_cycles() > (uint64_t)c1);
    fprintf(stderr, "%ld %ld %lld %lld %lld\n", (long)c0, (long)c1, (long long)t0, us1, ns1);
    return 0;
}
"""


def test_timers_read_the_cycle_counter_under_zkwb_and_qemu(tmp_path):
    (tmp_path / "t.c").write_text(TIMERS_C)
    built = zkwb("cc", "-O2", "-o", "t.elf", "t.c", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    expected = (b"clock advances 1\ngettimeofday advances 1, usec < 1e6 1\n"
                b"clock_gettime advances 1, nsec < 1e9 1, res > 0 1\n"
                b"time is seconds 1, CLOCKS_PER_SEC 1000000\nzkwb_cycles advances 1\n")
    assert run_qemu(tmp_path / "t.elf").stdout == expected
    runs = [json.loads(zkwb("execute", "t.elf", "--json", cwd=tmp_path).stdout)
            for _ in range(2)]
    assert bytes.fromhex(runs[0]["journal_hex"]) == expected
    # Deterministic: the same times in every run, a 1 MHz clock over zkwb's cycles.
    assert runs[0]["log"] == runs[1]["log"]
    c0, c1, t0, us1, ns1 = (int(v) for v in runs[0]["log"].split())
    assert 0 < c0 < c1 < runs[0]["cycles"] and c1 - c0 > 20000
    assert t0 == 0 and c1 <= us1 < runs[0]["cycles"] and ns1 == 1000 * (ns1 // 1000)


def test_fopen_fails_to_link_with_a_message_saying_what_to_use(tmp_path):
    src = tmp_path / "f.c"
    src.write_text('#include <stdio.h>\nint main(void){FILE *f = fopen("x", "r");'
                   "return f ? 0 : 1;}\n")
    out = zkwb("cc", "-o", "f.elf", str(src), cwd=tmp_path)
    assert out.returncode != 0
    assert "open() is not available in a zkwb guest: it has no files" in out.stderr
    assert "fread(buf, 1, n, stdin)" in out.stderr
    assert "zkwb_has_no_files__read_the_private_input_from_stdin" in out.stderr


@pytest.mark.parametrize("march, named", [("rv32imafd", "F (single-precision float)"),
                                          ("rv32imf", "F (single-precision float)"),
                                          ("rv32imac", "C (compressed"),
                                          ("rv32im_zicsr", "zicsr"),
                                          ("rv64gc", "32-bit")])
def test_a_wrong_march_is_refused_with_a_reason(tmp_path, march, named):
    (tmp_path / "m.c").write_text("int main(void){return 0;}\n")
    out = zkwb("cc", f"-march={march}", "-c", "m.c", cwd=tmp_path)
    assert out.returncode == 2
    assert named in out.stderr and "drop the flag" in out.stderr, out.stderr
    assert zkwb("cc", "-march=rv32im", "-c", "m.c", cwd=tmp_path).returncode == 0


def test_a_freestanding_cpp_guest(tmp_path):
    (tmp_path / "app.cpp").write_text(
        "#include <stdio.h>\n"
        "struct Shape { virtual ~Shape() {} virtual int area() const = 0; };\n"
        "struct Sq : Shape { int s; Sq(int s) : s(s) {} int area() const override "
        "{ return s * s; } };\n"
        "struct G { G() { printf(\"ctor\\n\"); } ~G() { printf(\"dtor\\n\"); } };\n"
        "static G g;\n"
        "int main() { Shape *p = new Sq(7); printf(\"area %d\\n\", p->area()); delete p;"
        " int *a = new int[4]; a[3] = 1; delete[] a; return 0; }\n")
    assert zkwb("c++", "-O2", "-c", "-o", "app.o", "app.cpp", cwd=tmp_path).returncode == 0
    out = zkwb("c++", "-o", "app.elf", "app.o", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    expected = b"ctor\narea 49\ndtor\n"
    assert run_qemu(tmp_path / "app.elf").stdout == expected
    run = zkwb("execute", "app.elf", "--json", cwd=tmp_path)
    assert bytes.fromhex(json.loads(run.stdout)["journal_hex"]) == expected


def test_a_missing_cross_compiler_names_the_debian_packages(tmp_path):
    (tmp_path / "m.c").write_text("int main(void){return 0;}\n")
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    out = zkwb("cc", "-c", "m.c", cwd=tmp_path, env=env)
    assert out.returncode == 2
    assert "sudo apt install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf" in out.stderr
