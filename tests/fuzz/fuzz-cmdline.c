/* libFuzzer: any command line either fails cleanly or round-trips through its formatting. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = strndup((const char *) data, size);
	struct strbuf sb = {0};
	char **a = NULL, **b = NULL;
	int na, nb;

	if (!line)
		return 0;
	if (cmdline_parse(line, &a, &na) == 0) {
		if (cmdline_format(a, &sb) == 0 &&
		    cmdline_parse(sb.data ? sb.data : "", &b, &nb) == 0) {
			if (na != nb)
				abort();
			for (int i = 0; i < na; i++)
				if (strcmp(a[i], b[i]))
					abort();
		} else {
			abort();
		}
	}
	cmdline_free(a);
	cmdline_free(b);
	strbuf_free(&sb);
	free(line);
	return 0;
}
