#include "strv.h"

#include <stdlib.h>
#include <string.h>

size_t strv_length(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

char **strv_dup(char *const *v)
{
	size_t n = strv_length(v);
	char **out;

	if (!v)
		return NULL;
	out = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; out && i < n; i++) {
		out[i] = strdup(v[i]);
		if (!out[i]) {
			strv_free(out);
			return NULL;
		}
	}
	return out;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **a = v; *a; a++)
		free(*a);
	free(v);
}
