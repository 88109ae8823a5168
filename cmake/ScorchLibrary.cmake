# One precompiled header for <torch/torch.h>, built once and reused by every
# target: without it each LibTorch translation unit takes tens of seconds.
add_library(scorch_torch_pch OBJECT ${CMAKE_SOURCE_DIR}/cmake/torch_pch.cpp)
target_link_libraries(scorch_torch_pch PUBLIC torch fmt::fmt)
target_compile_options(scorch_torch_pch PUBLIC -Wall -Wextra -Wno-unused-parameter)
target_precompile_headers(scorch_torch_pch PRIVATE <torch/torch.h>)

# scorch_use_torch_pch(target): compile target's sources with the shared PCH.
function(scorch_use_torch_pch target)
  target_link_libraries(${target} PUBLIC torch fmt::fmt)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
  target_precompile_headers(${target} REUSE_FROM scorch_torch_pch)
endfunction()

# scorch_library(name SOURCES ... DEPENDS ...): a static library rooted at the
# project directory so headers are included as "folder/file.h".
function(scorch_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPENDS})
  scorch_use_torch_pch(${name})
endfunction()
