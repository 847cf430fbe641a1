/* json-c objects released at scope end, as the other _cleanup_ helpers do. */
#pragma once

#include <json-c/json.h>

#include "cleanup.h"

static inline void json_putp(json_object **o)
{
	json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)
