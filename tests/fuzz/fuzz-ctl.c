/* libFuzzer: the ctl parser must take any bytes without crashing, and accept only commands
 * whose arguments are in range. */
#include <stdint.h>
#include <stdlib.h>

#include "ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_cmd cmd;
	char err[256];

	if (ctl_parse((const char *) data, size, &cmd, err, sizeof(err)) == 0) {
		if (cmd.secs > CTL_STOP_MAX_SECS || cmd.sig < 1 || cmd.sig > 64)
			abort();
	}
	return 0;
}
