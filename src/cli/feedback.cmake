# feedback.cmake — what `rill run` shows and writes about a run (the progress
# and summary lines, --metrics as JSON with jansson, --report as HTML):
# src/cli/feedback*.c, metrics.c and report.c (branch cli-feedback), as the
# static library rill_cli_feedback that the rill executable links. It uses
# the public API only: whoever links it also links the rill library.
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET GLOBAL jansson)

add_library(rill_cli_feedback STATIC
  ${CMAKE_CURRENT_LIST_DIR}/feedback.c
  ${CMAKE_CURRENT_LIST_DIR}/feedback_graph.c
  ${CMAKE_CURRENT_LIST_DIR}/feedback_text.c
  ${CMAKE_CURRENT_LIST_DIR}/metrics.c
  ${CMAKE_CURRENT_LIST_DIR}/report.c)
target_include_directories(rill_cli_feedback PUBLIC ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(rill_cli_feedback PUBLIC PkgConfig::JANSSON Threads::Threads m)
