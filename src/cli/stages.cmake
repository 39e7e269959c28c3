# stages.cmake — the built-in stages of the rill command beyond words and
# count (src/cli/stage_*.c, branch cli-builtins), as the static library
# rill_cli_stages that the rill executable links. It uses the public API
# only: whoever links it also links rill's objects and the cli builder.
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)

add_library(rill_cli_stages STATIC
  ${CMAKE_CURRENT_LIST_DIR}/stage_common.c
  ${CMAKE_CURRENT_LIST_DIR}/stage_grep.c
  ${CMAKE_CURRENT_LIST_DIR}/stage_fields.c
  ${CMAKE_CURRENT_LIST_DIR}/stage_json.c
  ${CMAKE_CURRENT_LIST_DIR}/stage_agg.c
  ${CMAKE_CURRENT_LIST_DIR}/stage_distinct.c
  ${CMAKE_CURRENT_LIST_DIR}/stage_top.c
  ${CMAKE_CURRENT_LIST_DIR}/stage_head.c
  ${CMAKE_CURRENT_LIST_DIR}/stage_sample.c
  ${CMAKE_CURRENT_LIST_DIR}/stage_dedupe.c
  ${CMAKE_CURRENT_LIST_DIR}/stage_sort.c)
target_include_directories(rill_cli_stages PUBLIC ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(rill_cli_stages PUBLIC PkgConfig::PCRE2 PkgConfig::JANSSON Threads::Threads m)
