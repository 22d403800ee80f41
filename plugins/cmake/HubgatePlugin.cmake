# hubgate_add_plugin(<target> [OUTPUT_NAME <file name without .so>] SOURCES <file>...)
# Builds a hubgate plugin: a MODULE library without the "lib" prefix, linked against the header
# only SDK, with hidden visibility so the only exported symbol is hubgate_plugin_entry()
# (marked HUBGATE_PLUGIN_EXPORT) and the plugin's own copies of libraries never clash.
function(hubgate_add_plugin target)
  cmake_parse_arguments(P "" "OUTPUT_NAME" "SOURCES" ${ARGN})
  add_library(${target} MODULE ${P_SOURCES})
  target_link_libraries(${target} PRIVATE hubgate::plugin_sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(P_OUTPUT_NAME)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${P_OUTPUT_NAME})
  endif()
endfunction()
