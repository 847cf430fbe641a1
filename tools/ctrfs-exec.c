/* ctrfs-exec: an interactive shell (or any command) inside a running container, on a real
 * terminal, built only on the files ctrfs exposes:
 *
 *   ctrfs-exec [-m MOUNTPOINT] NAME [COMMAND [ARG...]]      (default: sh; mount /mnt/ctr)
 *
 * It takes a session from containers/NAME/exec/new, asks for a terminal of its own size
 * (exec/N/tty: the command gets a fresh pty inside the container, never ours, so TIOCSTI from
 * inside cannot type into our shell), holds exec/N/stdin open, starts the command through
 * exec/N/cmd, then copies keys to stdin and exec/N/output to the screen, passes window size
 * changes on (SIGWINCH -> exec/N/tty) and exits with the command's exit code. Without a
 * terminal on stdin it runs the command plainly (pipes work). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static int winch_pipe[2] = {-1, -1};
static struct termios saved;
static int raw_mode;

static void on_winch(int sig)
{
	(void) sig;
	(void) !write(winch_pipe[1], "w", 1);
}

static void restore_tty(void)
{
	if (raw_mode)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
}

static __attribute__((noreturn)) void die(const char *what, const char *path)
{
	restore_tty();
	fprintf(stderr, "ctrfs-exec: %s %s: %s\n", what, path ? path : "", strerror(errno));
	exit(125);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) < 0)
		r = -1;
	close(fd);
	return r;
}

/* One shell word for the cmd file: plain if safe, else single-quoted. */
static void append_word(char *buf, size_t size, const char *w)
{
	size_t len = strlen(buf);
	int plain = *w != '\0';

	for (const char *p = w; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./"
			    ":=@%+,",
			    *p))
			plain = 0;
	if (len && len < size - 1)
		buf[len++] = ' ';
	if (plain) {
		snprintf(buf + len, size - len, "%s", w);
		return;
	}
	if (len < size - 1)
		buf[len++] = '\'';
	for (const char *p = w; *p && len < size - 5; p++) {
		if (*p == '\'') {
			memcpy(buf + len, "'\\''", 4);
			len += 4;
		} else {
			buf[len++] = *p;
		}
	}
	if (len < size - 1)
		buf[len++] = '\'';
	buf[len] = '\0';
}

static void send_size(const char *tty_path)
{
	struct winsize ws;
	char line[32];

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		snprintf(line, sizeof(line), "%u %u\n", ws.ws_row, ws.ws_col);
		write_file(tty_path, line);
	}
}

int main(int argc, char **argv)
{
	const char *mnt = getenv("CTRFS_MOUNT") ? getenv("CTRFS_MOUNT") : "/mnt/ctr";
	char dir[PATH_MAX], path[PATH_MAX], cmd[65536] = "", id[32], buf[16384];
	int opt, tty = isatty(STDIN_FILENO), in_fd, out_fd, fd, code;
	ssize_t n;

	while ((opt = getopt(argc, argv, "+m:h")) != -1) {
		if (opt == 'm') {
			mnt = optarg;
		} else {
			fprintf(stderr,
				"Usage: ctrfs-exec [-m MOUNTPOINT] NAME [COMMAND [ARG...]]\n");
			return opt == 'h' ? 0 : 125;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "Usage: ctrfs-exec [-m MOUNTPOINT] NAME [COMMAND [ARG...]]\n");
		return 125;
	}
	snprintf(path, sizeof(path), "%s/containers/%s/exec/new", mnt, argv[optind]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, id, sizeof(id) - 1)) <= 0)
		die("cannot start a session at", path);
	close(fd);
	id[n] = '\0';
	id[strcspn(id, "\n")] = '\0';
	snprintf(dir, sizeof(dir), "%s/containers/%s/exec/%s", mnt, argv[optind], id);

	if (optind + 1 >= argc)
		append_word(cmd, sizeof(cmd), "sh");
	for (int i = optind + 1; i < argc; i++)
		append_word(cmd, sizeof(cmd), argv[i]);

	snprintf(path, sizeof(path), "%s/tty", dir);
	if (tty)
		send_size(path);
	snprintf(path, sizeof(path), "%s/stdin", dir);
	in_fd = open(path, O_WRONLY | O_CLOEXEC);
	if (in_fd < 0)
		die("cannot open", path);
	snprintf(path, sizeof(path), "%s/cmd", dir);
	if (write_file(path, cmd) < 0)
		die("cannot start the command through", path);
	snprintf(path, sizeof(path), "%s/output", dir);
	out_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (out_fd < 0)
		die("cannot open", path);

	if (tty) {
		struct termios raw;
		if (pipe2(winch_pipe, O_CLOEXEC | O_NONBLOCK) == 0)
			signal(SIGWINCH, on_winch);
		tcgetattr(STDIN_FILENO, &saved);
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
		raw_mode = 1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd pfd[3] = {
			{.fd = out_fd, .events = POLLIN},
			{.fd = in_fd >= 0 ? STDIN_FILENO : -1, .events = POLLIN},
			{.fd = winch_pipe[0], .events = POLLIN},
		};
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll", NULL);
		}
		if (pfd[0].revents) {
			n = read(out_fd, buf, sizeof(buf));
			if (n <= 0)
				break; /* end of output: the command has exited */
			(void) !write(STDOUT_FILENO, buf, (size_t) n);
		}
		if (pfd[1].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0 || write(in_fd, buf, (size_t) n) < 0) {
				close(in_fd); /* end of our input: the command's stdin ends too */
				in_fd = -1;
			}
		}
		if (pfd[2].revents) {
			while (read(winch_pipe[0], buf, sizeof(buf)) > 0)
				;
			snprintf(path, sizeof(path), "%s/tty", dir);
			send_size(path);
		}
	}
	restore_tty();
	snprintf(path, sizeof(path), "%s/status", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		die("cannot read", path);
	buf[n] = '\0';
	code = atoi(buf);
	close(fd);
	rmdir(dir);
	return code;
}
