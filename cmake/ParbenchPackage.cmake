# `cpack -G DEB` in the build folder: a .deb of everything `cmake --install` puts in place.
# Runtime dependencies of the binary come from dpkg-shlibdeps; the ones it cannot see (the
# plotter's Python modules, mpirun for multi-host runs, the headers a user's project compiles
# against) are declared here.
set(CPACK_PACKAGE_NAME "parbench")
set(CPACK_PACKAGE_VENDOR "parbench")
set(CPACK_PACKAGE_CONTACT "parbench maintainers <parbench@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "devel")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3, python3-matplotlib, python3-numpy")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "openmpi-bin, python3-scipy")
# What a project that links the installed libraries (find_package(parbench)) needs.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libfmt-dev, libcli11-dev, nlohmann-json3-dev, libbenchmark-dev, librandom123-dev, libhwloc-dev, libtbb-dev, libopenmpi-dev")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Compare parallelism models on shared, deterministic workloads.\n The same kernels through serial, threads, OpenMP, oneTBB, C++17 parallel\n algorithms, fork/spawn/forkserver processes and MPI, with exact results, CSV\n reports, plots and a regression gate.")
include(CPack)
