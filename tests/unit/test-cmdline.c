/* Shell-like command lines: splitting, quoting, and formatting back to the same words. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "cmdline.h"

static char **split(const char *line, int *argc)
{
	char **argv = NULL;

	return cmdline_parse(line, &argv, argc) == 0 ? argv : NULL;
}

/* Parse, format, parse again: the words must survive. */
static int roundtrip(const char *line)
{
	struct strbuf sb = {0};
	char **a, **b;
	int na, nb, ok = 0;

	a = split(line, &na);
	if (!a)
		return 0;
	cmdline_format(a, &sb);
	b = split(sb.data ? sb.data : "", &nb);
	if (b && na == nb) {
		ok = 1;
		for (int i = 0; i < na; i++)
			ok &= strcmp(a[i], b[i]) == 0;
	}
	cmdline_free(a);
	cmdline_free(b);
	strbuf_free(&sb);
	return ok;
}

int main(void)
{
	char **v;
	int n;

	v = split("sh -c 'echo hi'", &n);
	CHECK(v && n == 3 && !strcmp(v[0], "sh") && !strcmp(v[2], "echo hi") && !v[3]);
	cmdline_free(v);
	v = split("  a\tb\n c  ", &n);
	CHECK(v && n == 3 && !strcmp(v[2], "c"));
	cmdline_free(v);
	v = split("echo \"a \\\"b\\\" \\$x \\n\"", &n);
	CHECK(v && n == 2 && !strcmp(v[1], "a \"b\" $x \\n"));
	cmdline_free(v);
	v = split("a\\ b c\\'d", &n);
	CHECK(v && n == 2 && !strcmp(v[0], "a b") && !strcmp(v[1], "c'd"));
	cmdline_free(v);
	v = split("x'y'\"z\"", &n);
	CHECK(v && n == 1 && !strcmp(v[0], "xyz"));
	cmdline_free(v);
	v = split("'' \"\"", &n);
	CHECK(v && n == 2 && !strcmp(v[0], "") && !strcmp(v[1], ""));
	cmdline_free(v);
	v = split("echo $HOME *", &n);
	CHECK(v && n == 3 && !strcmp(v[1], "$HOME") && !strcmp(v[2], "*")); /* no expansion */
	cmdline_free(v);
	v = split("", &n);
	CHECK(v && n == 0 && !v[0]);
	cmdline_free(v);
	v = split("   ", &n);
	CHECK(v && n == 0);
	cmdline_free(v);

	char **bad = NULL;
	CHECK(cmdline_parse("echo 'unterminated", &bad, &n) == -EINVAL);
	CHECK(cmdline_parse("echo \"unterminated", &bad, &n) == -EINVAL);
	CHECK(cmdline_parse("echo \\", &bad, &n) == -EINVAL);

	CHECK(roundtrip("sh -c 'echo hello; exit 3'"));
	CHECK(roundtrip("a 'it'\\''s' \"q\\\"\" '' x\\ y"));
	CHECK(roundtrip("/bin/true"));

	struct strbuf sb = {0};
	char *words[] = {"sh", "-c", "echo hi", "it's", NULL};
	cmdline_format(words, &sb);
	CHECK_STR(sb.data, "sh -c 'echo hi' 'it'\\''s'");
	strbuf_free(&sb);
	return check_done();
}
