/* A command line with shell-like quoting and no expansion, as written to a container's `cmd`. */
#pragma once

#include "strutil.h"

/* Split LINE into a NULL-terminated argv: blanks separate words; '...' is literal; "..." keeps
 * \" \\ \$ \` escapes; a backslash outside quotes takes the next character literally.
 * -EINVAL on an unterminated quote or trailing backslash; an empty line gives argc 0. */
int cmdline_parse(const char *line, char ***ret_argv, int *ret_argc);

/* Append ARGV to SB as one line that cmdline_parse() reads back to the same words. */
int cmdline_format(char *const *argv, struct strbuf *sb);

void cmdline_free(char **argv);
