/* NULL-terminated string vectors (argv, env, lists of lines). */
#pragma once

#include <stddef.h>

size_t strv_length(char *const *v);
/* A deep copy; NULL for NULL, or on OOM. */
char **strv_dup(char *const *v);
/* Frees every string and the vector; NULL is fine. */
void strv_free(char **v);
