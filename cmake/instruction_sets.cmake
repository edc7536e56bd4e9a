# The instruction sets simdnorm's vector kernels are built for: the one list
# behind the per-instruction-set translation units and their compiler flags
# (lib/CMakeLists.txt), dispatch's enumeration, names and CPU detection
# (lib/dispatch/instruction_sets.hpp reads the header generated from it), and
# the per-instruction-set ctest entries (tests/CMakeLists.txt). Adding an
# instruction set is one line here (plus, for a new CPU feature, its
# detection in lib/dispatch/instruction_sets.cpp).
#
#   simdnorm_instruction_set(NAME ID FAMILY ARCH FLAGS FEATURES)
#
# NAME: what SIMDNORM_ISA, set_max_isa and active_isa say; ID: the C++
# identifier; FAMILY: the CPU family it belongs to (x86_64, aarch64); ARCH:
# the xsimd 8.1 architecture its kernels are instantiated for; FLAGS: the
# compiler options of its translation unit alone (GCC and clang spelling;
# never on the rest of the library, which must run on any CPU of the
# family); FEATURES: the CPU and OS features dispatch requires before it
# picks it (names of dispatch::feature). Within a family the list runs from
# the best to the most basic, and each level must run wherever those below
# it do not.
set(SIMDNORM_ALL_INSTRUCTION_SETS "")

macro(simdnorm_instruction_set name id family arch flags features)
  list(APPEND SIMDNORM_ALL_INSTRUCTION_SETS ${name})
  set(SIMDNORM_ISA_${name}_ID "${id}")
  set(SIMDNORM_ISA_${name}_FAMILY "${family}")
  set(SIMDNORM_ISA_${name}_ARCH "${arch}")
  set(SIMDNORM_ISA_${name}_FLAGS "${flags}")
  set(SIMDNORM_ISA_${name}_FEATURES "${features}")
endmacro()

# xsimd 8.1's avx512bw uses AVX-512 DQ instructions and needs the FMA macros.
# F16C (float16 conversions) is on every CPU with AVX2 that x86-64 builds
# target, and is checked all the same. AVX-512 BF16 is compiled in but not
# required: the file's bfloat16 stores use VCVTNEPS2BF16 only where the CPU
# reports it (dispatch::native_bfloat16_rounding), and the compiler emits
# its instructions for those intrinsics alone (GCC 12 and Clang 14 have no
# arithmetic type that would make it generate them elsewhere).
simdnorm_instruction_set(avx512 avx512 x86_64 "xsimd::avx512bw"
  "-mavx512f;-mavx512cd;-mavx512dq;-mavx512bw;-mavx2;-mfma;-mf16c;-mavx512bf16"
  "sse2;sse4_2;avx;fma;f16c;avx2;ymm_state;avx512f;avx512cd;avx512dq;avx512bw;zmm_state")
simdnorm_instruction_set(avx2 avx2 x86_64 "xsimd::fma3<xsimd::avx2>" "-mavx2;-mfma;-mf16c"
  "sse2;sse4_2;avx;fma;f16c;avx2;ymm_state")
simdnorm_instruction_set(sse4.2 sse4_2 x86_64 "xsimd::sse4_2" "-msse4.2" "sse2;sse4_2")
# SSE2 is part of x86-64 itself: no flags.
simdnorm_instruction_set(sse2 sse2 x86_64 "xsimd::sse2" "" "sse2")
# Advanced SIMD is part of AArch64 itself: no flags.
simdnorm_instruction_set(neon64 neon64 aarch64 "xsimd::neon64" "" "neon")

# simdnorm_family_of(PROCESSOR OUT): the family of a CMAKE_SYSTEM_PROCESSOR
# value, or "" for one with no vector kernels here (the scalar path only).
function(simdnorm_family_of processor out)
  if(processor MATCHES "^(x86_64|AMD64|amd64)$")
    set(${out} x86_64 PARENT_SCOPE)
  elseif(processor MATCHES "^(aarch64|arm64|ARM64)$")
    set(${out} aarch64 PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# Instruction sets a build leaves out: no kernel unit, no dispatch entry, no
# ctest run; a CPU that has one runs the best level below it. For builds
# that only test (scripts/sanitize.sh address leaves out sse4.2, SSE2's
# loops at SSE2's width, whose unit took 80 s to compile under the
# sanitizers); a library built so is slower on the CPUs that level serves.
set(SIMDNORM_OMIT_INSTRUCTION_SETS "" CACHE STRING
    "Instruction sets not to build kernels for (a ;-list of names: avx2, sse4.2, ...)")
foreach(name ${SIMDNORM_OMIT_INSTRUCTION_SETS})
  if(NOT name IN_LIST SIMDNORM_ALL_INSTRUCTION_SETS)
    message(FATAL_ERROR "SIMDNORM_OMIT_INSTRUCTION_SETS: no instruction set is called '${name}' "
                        "(there are: ${SIMDNORM_ALL_INSTRUCTION_SETS})")
  endif()
endforeach()

# simdnorm_instruction_sets_of(FAMILY OUT): the family's instruction sets the
# build has (SIMDNORM_OMIT_INSTRUCTION_SETS left out), best first.
function(simdnorm_instruction_sets_of family out)
  set(names "")
  foreach(name ${SIMDNORM_ALL_INSTRUCTION_SETS})
    if(SIMDNORM_ISA_${name}_FAMILY STREQUAL family AND NOT name IN_LIST
                                                          SIMDNORM_OMIT_INSTRUCTION_SETS)
      list(APPEND names ${name})
    endif()
  endforeach()
  set(${out} ${names} PARENT_SCOPE)
endfunction()

# simdnorm_write_instruction_set_header(FAMILY FILE): the X-macro list that
# lib/dispatch/instruction_sets.hpp includes, one line per instruction set of
# the family, from the most basic to the best (the order of their levels):
#   SIMDNORM_INSTRUCTION_SET(id, "name", arch, feature::a | feature::b)
function(simdnorm_write_instruction_set_header family file)
  simdnorm_instruction_sets_of("${family}" names)
  list(REVERSE names)
  set(text "// Generated by cmake/instruction_sets.cmake for ${family}: do not edit.\n")
  foreach(name ${names})
    set(features "")
    foreach(feature ${SIMDNORM_ISA_${name}_FEATURES})
      if(features)
        string(APPEND features " | ")
      endif()
      string(APPEND features "feature::${feature}")
    endforeach()
    string(APPEND text "SIMDNORM_INSTRUCTION_SET(${SIMDNORM_ISA_${name}_ID}, \"${name}\", "
                       "${SIMDNORM_ISA_${name}_ARCH}, ${features})\n")
  endforeach()
  file(CONFIGURE OUTPUT "${file}" CONTENT "${text}" @ONLY)
endfunction()

# simdnorm_write_kernel_unit(NAME TEMPLATE FILE): the translation unit that
# instantiates every vector kernel for one instruction set, from
# TEMPLATE (lib/arch/kernels_for_isa.cpp.in).
function(simdnorm_write_kernel_unit name template file)
  set(SIMDNORM_ISA_NAME "${name}")
  set(SIMDNORM_ISA_ARCH "${SIMDNORM_ISA_${name}_ARCH}")
  configure_file("${template}" "${file}" @ONLY)
endfunction()
