# CMake toolchain file for zkwb guests (docs/writing-guests.md, "CMake"):
#   cmake -DCMAKE_TOOLCHAIN_FILE=$(zkwb cc --print-toolchain-file) -B build
# Every compile and link goes through `zkwb cc` / `zkwb c++`, which add the zkwb flags
# (-march=rv32im -mabi=ilp32, picolibc, -nostartfiles, link.ld, the SDK objects).
# zkwb is found on the PATH, beside this SDK (the package's /opt/zkwb/zkwb, a checkout's
# .venv/bin/zkwb), or given with -DZKWB=/path/to/zkwb.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
get_filename_component(_zkwb_sdk "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
find_program(ZKWB zkwb HINTS "${_zkwb_sdk}/../../../.venv/bin" "${_zkwb_sdk}/../../../.."
)
if(NOT ZKWB)
  message(FATAL_ERROR "zkwb not found: put it on the PATH or pass -DZKWB=/path/to/zkwb")
endif()
set(CMAKE_C_COMPILER "${ZKWB}")
set(CMAKE_C_COMPILER_ARG1 cc)
set(CMAKE_CXX_COMPILER "${ZKWB}")
set(CMAKE_CXX_COMPILER_ARG1 c++)
set(CMAKE_ASM_COMPILER "${ZKWB}")
set(CMAKE_ASM_COMPILER_ARG1 cc)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
