# PARBENCH_WITH_CUDA: ON (required), OFF, or AUTO (on when a working nvcc and the CUDA
# toolkit are found). Sets PARBENCH_CUDA_ENABLED for backends/CMakeLists.txt and
# PARBENCH_CUDA_SUMMARY for the configure summary. Included from the top-level
# CMakeLists.txt: enable_language(CUDA) and find_package(CUDAToolkit) run at the top
# level so that the CUDA:: targets are visible to the backend and to the tests.
include(CheckLanguage)

set(PARBENCH_CUDA_ENABLED OFF)
string(TOUPPER "${PARBENCH_WITH_CUDA}" _parbench_cuda_mode)
if(_parbench_cuda_mode STREQUAL "AUTO")
  set(_parbench_cuda_required OFF)
elseif(PARBENCH_WITH_CUDA)
  set(_parbench_cuda_required ON)
else()
  set(PARBENCH_CUDA_SUMMARY "OFF")
  return()
endif()

# `native` fails on build machines without a GPU: name the architectures.
# 80 = A100, 90 = H100/H200; each entry embeds SASS and PTX, so newer GPUs JIT the PTX.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures to build for (not 'native' without a GPU)")
endif()

# nvcc is often not on PATH (it lives in /usr/local/cuda/bin): look there too, then let
# check_language() try it in a scratch project, so a broken toolkit means "not found".
if(NOT DEFINED CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
  find_program(PARBENCH_NVCC nvcc
    HINTS ENV CUDA_PATH ENV CUDA_HOME ENV CUDAToolkit_ROOT
    PATH_SUFFIXES bin
    PATHS /usr/local/cuda /opt/cuda
    DOC "nvcc used for the CUDA backend")
  if(PARBENCH_NVCC)
    set(ENV{CUDACXX} "${PARBENCH_NVCC}")
  endif()
endif()
check_language(CUDA)

set(_parbench_cuda_missing "")
if(NOT CMAKE_CUDA_COMPILER)
  set(_parbench_cuda_missing "no working CUDA compiler (nvcc) on PATH or in /usr/local/cuda/bin")
else()
  enable_language(CUDA)
  find_package(CUDAToolkit)
  if(NOT CUDAToolkit_FOUND OR NOT TARGET CUDA::cudart_static)
    set(_parbench_cuda_missing "nvcc found (${CMAKE_CUDA_COMPILER}) but not the CUDA runtime (CUDA::cudart_static)")
  endif()
endif()

if(_parbench_cuda_missing)
  if(_parbench_cuda_required)
    message(FATAL_ERROR "PARBENCH_WITH_CUDA=ON but ${_parbench_cuda_missing}. Install the CUDA toolkit, "
      "point CMake at it with -DCMAKE_CUDA_COMPILER=/path/to/nvcc, or configure with -DPARBENCH_WITH_CUDA=OFF "
      "(or AUTO).")
  endif()
  set(PARBENCH_CUDA_SUMMARY "OFF (AUTO: ${_parbench_cuda_missing}; set CMAKE_CUDA_COMPILER to enable)")
  return()
endif()

set(PARBENCH_CUDA_ENABLED ON)
set(PARBENCH_CUDA_SUMMARY
  "ON (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES})")
