# The version, from `git describe` at configure time; `hubgate --version`, `hubsim --version` and
# the .deb's version all print HUBGATE_VERSION (a valid Debian version):
#   at tag v1.2.0                 1.2.0
#   5 commits after tag v1.2.0    1.2.0+git5.g<hash>
#   no release tag yet            <project version>~git<commits>.g<hash> (sorts before the release)
#   uncommitted changes           ... with ".dirty" appended
#   not a git checkout            <project version>
# HUBGATE_GIT_DESCRIPTION keeps git's own words ("v1.2.0-5-g<hash>", or "none").
# A commit or checkout re-runs the configure (the reflog of HEAD is a configure dependency), so
# the version follows HEAD without a manual re-configure.

set(HUBGATE_VERSION ${PROJECT_VERSION})
set(HUBGATE_GIT_DESCRIPTION none)
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --tags --match "v[0-9]*" --abbrev=10 --dirty
                  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE _described OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _tag_status ERROR_QUIET)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --abbrev=10 --dirty
                  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE _hash OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _git_status ERROR_QUIET)
  if(_tag_status EQUAL 0 AND _described MATCHES "^v([0-9][0-9.]*)(-([0-9]+)-g([0-9a-f]+))?(-dirty)?$")
    set(HUBGATE_GIT_DESCRIPTION ${_described})
    set(HUBGATE_VERSION ${CMAKE_MATCH_1})
    if(CMAKE_MATCH_2)
      string(APPEND HUBGATE_VERSION "+git${CMAKE_MATCH_3}.g${CMAKE_MATCH_4}")
    endif()
    if(CMAKE_MATCH_5)
      string(APPEND HUBGATE_VERSION ".dirty")
    endif()
  elseif(_git_status EQUAL 0 AND _hash MATCHES "^([0-9a-f]+)(-dirty)?$")
    set(HUBGATE_GIT_DESCRIPTION ${_hash})
    set(_dirty ${CMAKE_MATCH_2})
    set(_commit ${CMAKE_MATCH_1})
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-list --count HEAD
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                    OUTPUT_VARIABLE _count OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    set(HUBGATE_VERSION "${PROJECT_VERSION}~git${_count}.g${_commit}")
    if(_dirty)
      string(APPEND HUBGATE_VERSION ".dirty")
    endif()
  endif()
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --path-format=absolute --git-path logs/HEAD
                  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE _reflog OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_reflog AND EXISTS ${_reflog})
    set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_reflog})
  endif()
endif()
# The date of the commit built (the Debian changelog's date: the same source gives the same
# package), else now (or SOURCE_DATE_EPOCH, which string(TIMESTAMP) honours).
string(TIMESTAMP HUBGATE_COMMIT_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
if(NOT HUBGATE_GIT_DESCRIPTION STREQUAL "none")
  execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%aD
                  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE _date OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_date)
    set(HUBGATE_COMMIT_DATE ${_date})
  endif()
endif()
message(STATUS "hubgate version ${HUBGATE_VERSION} (git: ${HUBGATE_GIT_DESCRIPTION})")

# One generated source: a new version recompiles this file alone and relinks the commands.
configure_file(${CMAKE_CURRENT_LIST_DIR}/version.cpp.in ${CMAKE_BINARY_DIR}/generated/version.cpp
               @ONLY)
