#include "cmdline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strv.h"

void cmdline_free(char **argv)
{
	strv_free(argv);
}

static int push_word(char ***argv, int *argc, struct strbuf *word)
{
	char **n = realloc(*argv, sizeof(char *) * ((size_t) *argc + 2));

	if (!n)
		return -ENOMEM;
	*argv = n;
	n[(*argc)++] = word->data ? word->data : strdup("");
	n[*argc] = NULL;
	*word = (struct strbuf){0};
	return n[*argc - 1] ? 0 : -ENOMEM;
}

int cmdline_parse(const char *line, char ***ret_argv, int *ret_argc)
{
	char **argv = calloc(1, sizeof(char *));
	struct strbuf word = {0};
	bool in_word = false;
	int argc = 0, r = 0;
	const char *p = line;

	if (!argv)
		return -ENOMEM;
	while (r == 0 && *p) {
		char c = *p++;

		if (c == ' ' || c == '\t' || c == '\n') {
			if (in_word)
				r = push_word(&argv, &argc, &word);
			in_word = false;
		} else if (c == '\'') {
			const char *end = strchr(p, '\'');
			if (!end) {
				r = -EINVAL;
				break;
			}
			r = strbuf_add(&word, p, (size_t) (end - p));
			p = end + 1;
			in_word = true;
		} else if (c == '"') {
			in_word = true;
			for (;;) {
				if (*p ==
				    '\0') { /* unterminated: stop on the NUL, do not pass it */
					r = -EINVAL;
					break;
				}
				c = *p++;
				if (c == '"')
					break;
				if (c == '\\' &&
				    (*p == '"' || *p == '\\' || *p == '$' || *p == '`'))
					c = *p++;
				r = strbuf_add(&word, &c, 1);
				if (r < 0)
					break;
			}
		} else if (c == '\\') {
			if (*p == '\0') {
				r = -EINVAL;
				break;
			}
			r = strbuf_add(&word, p++, 1);
			in_word = true;
		} else {
			r = strbuf_add(&word, &c, 1);
			in_word = true;
		}
	}
	if (r == 0 && in_word)
		r = push_word(&argv, &argc, &word);
	strbuf_free(&word);
	if (r < 0) {
		cmdline_free(argv);
		return r;
	}
	*ret_argv = argv;
	*ret_argc = argc;
	return 0;
}

static bool needs_quotes(const char *w)
{
	if (!*w)
		return true;
	for (; *w; w++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./"
			    ":=@%+,",
			    *w))
			return true;
	return false;
}

int cmdline_format(char *const *argv, struct strbuf *sb)
{
	int r = 0;

	for (size_t i = 0; argv[i] && r == 0; i++) {
		const char *w = argv[i];

		if (i > 0)
			r = strbuf_add(sb, " ", 1);
		if (r < 0)
			break;
		if (!needs_quotes(w)) {
			r = strbuf_add(sb, w, strlen(w));
			continue;
		}
		/* Single quotes keep everything literal; a quote itself is spelled '\''. */
		r = strbuf_add(sb, "'", 1);
		for (; *w && r == 0; w++)
			r = *w == '\'' ? strbuf_add(sb, "'\\''", 4) : strbuf_add(sb, w, 1);
		if (r == 0)
			r = strbuf_add(sb, "'", 1);
	}
	return r;
}
