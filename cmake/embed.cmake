# cmake/embed.cmake: turns one file into a C source that defines its bytes as a NUL-terminated char array,
# so a file kept as itself in the tree (report/assets/report.css) is compiled into the binary. Run at build
# time by rt0_embed() in the top CMakeLists.txt:
#   cmake -DIN=report/assets/report.css -DOUT=build/assets/report.css.c -DNAME=rt_html_css -P embed.cmake
# Pure CMake (file(READ ... HEX)), so nothing beyond CMake is needed. The output is written beside and
# renamed into place, so an interrupted build never leaves a half-written source.
foreach(var IN ITEMS IN OUT NAME)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed.cmake: -D${var}=... is required")
  endif()
endforeach()

file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" nhex)
math(EXPR size "${nhex} / 2")
# 16 bytes a line, each as "0xNN,": a line break after every 32 hex digits, then the bytes
string(REPEAT "[0-9a-f]" 32 line)
string(REGEX REPLACE "(${line})" "\\1\n\t" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(RELATIVE_PATH rel "${CMAKE_CURRENT_LIST_DIR}/.." "${IN}")
file(WRITE "${OUT}.tmp"
  "/* ${NAME}: the ${size} bytes of ${rel}, NUL-terminated. Generated at build time by cmake/embed.cmake: "
  "edit ${rel}, not this. */\n"
  "extern const char ${NAME}[];\n"
  "const char ${NAME}[] = {\n\t${bytes}0x00\n};\n")
file(RENAME "${OUT}.tmp" "${OUT}")

