# Install rules, the CMake package (find_package(parbench)), pkg-config and the .deb (docs/api.md,
# README "Install"). Included last from the top-level CMakeLists.txt, once every target exists.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PARBENCH_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/parbench")
set(PARBENCH_INSTALL_DATADIR "${CMAKE_INSTALL_DATADIR}/parbench")

# Every library of the product (parbench_* static and interface targets; executables, tests and
# fuzzers are not libraries), found by walking the source folders, so a new kernel or backend
# folder is exported without a line here.
function(_parbench_collect_libraries dir out)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  set(found "")
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    if(t MATCHES "^parbench_" AND type MATCHES "^(STATIC_LIBRARY|INTERFACE_LIBRARY)$")
      list(APPEND found ${t})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    if(NOT sub MATCHES "/(tests|fuzz)$")
      _parbench_collect_libraries("${sub}" sub_found)
      list(APPEND found ${sub_found})
    endif()
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()
_parbench_collect_libraries("${PROJECT_SOURCE_DIR}" _parbench_libraries)
foreach(t IN LISTS _parbench_libraries)
  # parbench_kernel_pi is parbench::kernel_pi once installed, as parbench::core is in the tree.
  get_target_property(_export_name ${t} EXPORT_NAME)
  if(NOT _export_name OR _export_name STREQUAL t)
    string(REGEX REPLACE "^parbench_" "" _export_name "${t}")
    set_target_properties(${t} PROPERTIES EXPORT_NAME ${_export_name})
  endif()
endforeach()

install(TARGETS parbench RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(TARGETS ${_parbench_libraries} EXPORT parbenchTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(EXPORT parbenchTargets NAMESPACE parbench:: DESTINATION "${PARBENCH_INSTALL_CMAKEDIR}")

# Headers keep their source-tree paths under include/parbench (so "core/kernel.hpp" resolves as
# it does in the tree); the public API is <parbench/parbench.hpp>.
install(FILES include/parbench/parbench.hpp DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/parbench")
foreach(dir IN ITEMS core kernels backends bench reports cli)
  install(DIRECTORY "${dir}/" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/parbench/${dir}"
    FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(FILES "${PROJECT_BINARY_DIR}/generated/core/version.hpp"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/parbench/core")

# Scripts the binary runs, found at <bindir>/../share/parbench (core/subprocess.hpp).
install(FILES reports/plot.py reports/html_report.py reports/compare_plot.py reports/slow_report.py DESTINATION "${PARBENCH_INSTALL_DATADIR}")
install(FILES peers/python/mp_pi.py DESTINATION "${PARBENCH_INSTALL_DATADIR}/peers/python")
install(FILES README.md CHANGELOG.md DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(DIRECTORY docs/ DESTINATION "${CMAKE_INSTALL_DOCDIR}/docs")
install(DIRECTORY examples/ DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples" PATTERN "build" EXCLUDE)

# Man pages and completion scripts come from the built binary's own CLI definition.
set(_parbench_generated "${PROJECT_BINARY_DIR}/share")
add_custom_command(
  OUTPUT "${_parbench_generated}/man/parbench.1" "${_parbench_generated}/completion/parbench"
         "${_parbench_generated}/completion/_parbench"
  COMMAND parbench __man "${_parbench_generated}/man"
  COMMAND parbench completion bash > "${_parbench_generated}/completion/parbench"
  COMMAND parbench completion zsh > "${_parbench_generated}/completion/_parbench"
  DEPENDS parbench
  COMMENT "Generating man pages and shell completion from parbench's command line"
  VERBATIM)
file(MAKE_DIRECTORY "${_parbench_generated}/completion")
add_custom_target(parbench_docs ALL DEPENDS "${_parbench_generated}/man/parbench.1"
  "${_parbench_generated}/completion/parbench")
install(DIRECTORY "${_parbench_generated}/man/" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1" FILES_MATCHING PATTERN "*.1")
install(FILES "${_parbench_generated}/completion/parbench" DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions")
install(FILES "${_parbench_generated}/completion/_parbench" DESTINATION "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions")

# The package: what was built decides which dependencies a user's project must find.
get_property(_parbench_built_backends GLOBAL PROPERTY PARBENCH_BACKENDS)
set(PARBENCH_PACKAGE_DEPENDENCIES "")
foreach(pair IN ITEMS "openmp|OpenMP COMPONENTS CXX" "tbb|TBB" "stdpar|TBB" "mpi|MPI COMPONENTS CXX"
                      "cuda|CUDAToolkit")
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 backend)
  list(GET pair 1 dependency)
  if(backend IN_LIST _parbench_built_backends)
    string(APPEND PARBENCH_PACKAGE_DEPENDENCIES "find_dependency(${dependency})\n")
  endif()
endforeach()
configure_package_config_file(cmake/parbenchConfig.cmake.in "${PROJECT_BINARY_DIR}/parbenchConfig.cmake"
  INSTALL_DESTINATION "${PARBENCH_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/parbenchConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/parbenchConfig.cmake" "${PROJECT_BINARY_DIR}/parbenchConfigVersion.cmake"
  cmake/FindRandom123.cmake DESTINATION "${PARBENCH_INSTALL_CMAKEDIR}")

# pkg-config: the archives as one group (backends and their registry refer to each other).
set(PARBENCH_PKGCONFIG_LIBS "")
foreach(t IN LISTS _parbench_libraries)
  get_target_property(type ${t} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    string(APPEND PARBENCH_PKGCONFIG_LIBS " -l${t}")
  endif()
endforeach()
set(PARBENCH_PKGCONFIG_LIBS " -Wl,--start-group${PARBENCH_PKGCONFIG_LIBS} -Wl,--end-group")
# Their dependencies: pkg-config modules where Debian ships them, flags and paths otherwise.
set(PARBENCH_PKGCONFIG_REQUIRES "fmt benchmark hwloc")
set(PARBENCH_PKGCONFIG_CFLAGS "")
set(PARBENCH_PKGCONFIG_EXTRA_LIBS "")
if("tbb" IN_LIST _parbench_built_backends OR "stdpar" IN_LIST _parbench_built_backends)
  string(APPEND PARBENCH_PKGCONFIG_REQUIRES " tbb")
endif()
if("openmp" IN_LIST _parbench_built_backends)
  string(APPEND PARBENCH_PKGCONFIG_CFLAGS " -fopenmp")
  string(APPEND PARBENCH_PKGCONFIG_EXTRA_LIBS " -fopenmp")
endif()
if("mpi" IN_LIST _parbench_built_backends)
  set(MPI_CXX_SKIP_MPICXX ON)
  find_package(MPI QUIET COMPONENTS CXX)
  list(JOIN MPI_CXX_LIBRARIES " " _parbench_mpi_libraries)
  string(APPEND PARBENCH_PKGCONFIG_EXTRA_LIBS " ${_parbench_mpi_libraries}")
endif()
if("cuda" IN_LIST _parbench_built_backends)
  string(APPEND PARBENCH_PKGCONFIG_EXTRA_LIBS " -L${CUDAToolkit_LIBRARY_DIR} -lcudart_static -ldl -lrt")
endif()
string(APPEND PARBENCH_PKGCONFIG_EXTRA_LIBS " -pthread")
configure_file(cmake/parbench.pc.in "${PROJECT_BINARY_DIR}/parbench.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/parbench.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")

include(ParbenchPackage)
