/* libFuzzer: the state store's JSON readers take any text without crashing or leaking, and
 * what they accept serialises again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *) data, size);
	struct container_config cfg;
	struct container_state st;
	char *out = NULL;

	if (!text)
		return 0;
	if (store_config_from_json(text, &cfg) == 0) {
		if (store_config_to_json(&cfg, &out) != 0)
			abort();
		free(out);
		config_clear(&cfg);
	}
	if (store_state_from_json(text, &st) == 0) {
		if (store_state_to_json(&st, &out) != 0)
			abort();
		free(out);
	}
	free(text);
	return 0;
}
