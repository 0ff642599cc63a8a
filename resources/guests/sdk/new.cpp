// Freestanding C++ for zkwb guests (docs/writing-guests.md, "C++"): Debian's
// riscv64-unknown-elf-g++ ships no libstdc++ for rv32im, so the operators new and delete
// and the pure-virtual handler a C++ program links against come from here, over the C
// library's malloc and free. zkwb cc and zkwb c++ link this object into every guest;
// --gc-sections drops it from programs that do not use it. There are no exceptions
// (-fno-exceptions): a failed allocation aborts (exit code 134) instead of throwing
// std::bad_alloc.
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

void *operator new(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        fputs("operator new: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *operator new[](size_t size) { return operator new(size); }
void operator delete(void *p) noexcept { free(p); }
void operator delete[](void *p) noexcept { free(p); }
void operator delete(void *p, size_t) noexcept { free(p); }
void operator delete[](void *p, size_t) noexcept { free(p); }

extern "C" void __cxa_pure_virtual(void)
{
    fputs("pure virtual function called\n", stderr);
    abort();
}
