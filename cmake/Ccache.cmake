# Compile through ccache when it is installed. The sloppiness settings let ccache
# cache translation units that use the torch precompiled header; the base
# directory makes cached results reusable across clones at other paths.
find_program(SCORCH_CCACHE ccache)
if(SCORCH_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      "CCACHE_BASEDIR=${CMAKE_SOURCE_DIR}"
      ${SCORCH_CCACHE})
endif()
