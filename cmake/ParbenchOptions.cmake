# Project-wide usage requirements live on interface targets, never in CMAKE_CXX_FLAGS.
add_library(parbench_options INTERFACE)
add_library(parbench::options ALIAS parbench_options)
target_compile_features(parbench_options INTERFACE cxx_std_20)
# In the build tree: the source tree, include/ (the public API) and the generated headers; once
# installed: <prefix>/include (for <parbench/parbench.hpp>) and <prefix>/include/parbench.
target_include_directories(parbench_options INTERFACE
  "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR};${PROJECT_SOURCE_DIR}/include;${PROJECT_BINARY_DIR}/generated>"
  "$<INSTALL_INTERFACE:include;include/parbench>")
if(PARBENCH_NATIVE)
  target_compile_options(parbench_options INTERFACE -march=native)
endif()

add_library(parbench_warnings INTERFACE)
add_library(parbench::warnings ALIAS parbench_warnings)
target_compile_options(parbench_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion>
  $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${PARBENCH_WARNINGS_AS_ERRORS}>>:-Werror>)

# The build description recorded in every report's metadata.
string(TOUPPER "${CMAKE_BUILD_TYPE}" _parbench_bt)
set(PARBENCH_BUILD_FLAGS "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${_parbench_bt}}")
string(STRIP "${PARBENCH_BUILD_FLAGS}" PARBENCH_BUILD_FLAGS)

set(PARBENCH_SANITIZE "" CACHE STRING "Sanitizers for every target, e.g. address,undefined or thread")
if(PARBENCH_SANITIZE)
  target_compile_options(parbench_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${PARBENCH_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer>)
  target_link_options(parbench_options INTERFACE -fsanitize=${PARBENCH_SANITIZE})
endif()
