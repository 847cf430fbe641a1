/* Validation of names and values users choose. */
#include "check.h"
#include "names.h"

int main(void)
{
	CHECK(name_is_valid("web"));
	CHECK(name_is_valid("a"));
	CHECK(name_is_valid("Web-1_x.y"));
	CHECK(name_is_valid("0abc"));
	CHECK(name_is_valid(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 64 */
	CHECK(!name_is_valid(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 65 */
	CHECK(!name_is_valid(""));
	CHECK(!name_is_valid(".hidden"));
	CHECK(!name_is_valid("-x"));
	CHECK(!name_is_valid("_x"));
	CHECK(!name_is_valid("a/b"));
	CHECK(!name_is_valid("a b"));
	CHECK(!name_is_valid("a:b"));
	CHECK(!name_is_valid(".."));
	CHECK(!name_is_valid("caf\xc3\xa9"));

	CHECK(hostname_is_valid("web"));
	CHECK(hostname_is_valid("a-b-1"));
	CHECK(!hostname_is_valid("-a"));
	CHECK(!hostname_is_valid("a-"));
	CHECK(!hostname_is_valid("a.b"));
	CHECK(!hostname_is_valid(""));
	CHECK(!hostname_is_valid("a_b"));

	CHECK(env_key_is_valid("PATH", 4));
	CHECK(env_key_is_valid("_x1", 3));
	CHECK(!env_key_is_valid("1X", 2));
	CHECK(!env_key_is_valid("A-B", 3));
	CHECK(!env_key_is_valid("", 0));

	CHECK(abspath_is_valid("/"));
	CHECK(abspath_is_valid("/srv/app"));
	CHECK(abspath_is_valid("//srv//app/"));
	CHECK(!abspath_is_valid("srv"));
	CHECK(!abspath_is_valid("/srv/../etc"));
	CHECK(!abspath_is_valid("/srv/./x"));
	CHECK(!abspath_is_valid(""));
	return check_done();
}
