/* ptydrive: runs a command on a new pseudo-terminal, as its controlling
 * terminal (the command leads its foreground process group), and types
 * into it as a user would, Ctrl-C included.
 *
 *   ptydrive STEP... -- COMMAND [ARGS...]
 *
 * Steps, in order:
 *   wait=TEXT   read the terminal until TEXT has appeared (since the last
 *               wait); 20 s at most, else exit 124 (\n: a line's end)
 *   send=TEXT   type TEXT: ^C is Ctrl-C, ^D Ctrl-D (end of input at the
 *               start of a line), \n Enter
 *   sleep=MS    pause
 * Everything the terminal shows is copied to stdout, \r removed. Exits with
 * the command's status (128+N when signal N killed it). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char seen[1 << 16];
static size_t nseen, from; /* what was shown; where the next wait looks */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what the terminal shows for up to ms; false at its end. */
static int pump(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[4096];
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 1;
	n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\r')
			continue;
		putchar(buf[i]);
		if (nseen < sizeof(seen) - 1)
			seen[nseen++] = buf[i];
	}
	seen[nseen] = 0;
	fflush(stdout);
	return 1;
}

/* TEXT with its escapes (^C, ^D, \n) turned into bytes; returns the
 * length. */
static size_t unescape(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s && n < cap - 1; s++) {
		if (s[0] == '^' && s[1] == 'C') {
			out[n++] = 3;
			s++;
		} else if (s[0] == '^' && s[1] == 'D') {
			out[n++] = 4;
			s++;
		} else if (s[0] == '\\' && s[1] == 'n') {
			out[n++] = '\n';
			s++;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = 0;
	return n;
}

static void type(int fd, const char *s)
{
	char out[256];
	size_t n = unescape(s, out, sizeof(out));

	if (write(fd, out, n) < 0)
		perror("ptydrive: write");
}

int main(int argc, char **argv)
{
	int dash = 1, fd, st;
	pid_t pid;

	while (dash < argc && strcmp(argv[dash], "--"))
		dash++;
	if (dash + 1 >= argc) {
		fprintf(stderr, "usage: ptydrive STEP... -- COMMAND [ARGS...]\n");
		return 2;
	}
	pid = forkpty(&fd, NULL, NULL, NULL);
	if (pid < 0) {
		perror("ptydrive: forkpty");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[dash + 1], argv + dash + 1);
		_exit(127);
	}
	for (int i = 1; i < dash; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "wait=", 5)) {
			long until = now_ms() + 20000;
			char want[256], *hit;
			size_t n = unescape(a + 5, want, sizeof(want));
			while (!(hit = strstr(seen + from, want))) {
				if (now_ms() > until || !pump(fd, 100)) {
					fprintf(stderr, "ptydrive: no \"%s\" seen\n",
						a + 5);
					kill(pid, SIGKILL);
					waitpid(pid, &st, 0);
					return 124;
				}
			}
			from = (size_t)(hit - seen) + n;
		} else if (!strncmp(a, "send=", 5)) {
			type(fd, a + 5);
		} else if (!strncmp(a, "sleep=", 6)) {
			long until = now_ms() + atol(a + 6);
			while (now_ms() < until && pump(fd, (int)(until - now_ms())))
				;
		} else {
			fprintf(stderr, "ptydrive: unknown step %s\n", a);
			kill(pid, SIGKILL);
			return 2;
		}
	}
	/* The rest, until the terminal closes (EIO once the command and
	 * everything holding the terminal have gone). */
	{
		long until = now_ms() + 30000;
		while (now_ms() < until && pump(fd, 100))
			;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
