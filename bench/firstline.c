/* firstline CMD...: runs CMD with its stderr into a pipe and prints, on one
 * line, what bench/go.sh needs from one tracer run:
 *
 *   FIRST_MS TOTAL_MS HWM_KB MAXRSS_KB STATUS
 *
 * FIRST_MS  ms from just before fork() to the first stderr line that starts
 *           with "> " (a trace event); -1 if none came.
 * TOTAL_MS  ms from just before fork() to the exit of CMD and the end of its
 *           stderr (the target holds the same pipe, so both are over).
 * HWM_KB    CMD's own peak RSS: VmHWM from /proc/PID/status, read every
 *           millisecond and last read just before CMD turns zombie (a child
 *           of CMD, the traced program, has its own mm and is not in it).
 * MAXRSS_KB ru_maxrss from wait4(), what GNU time -f %M prints: the larger
 *           of CMD's own peak and the peaks of the children CMD reaped.
 * STATUS    CMD's exit code (128+N if killed by signal N).
 *
 * CMD's stdout goes to /dev/null; its stderr is read and dropped. After LIMIT seconds (env FIRSTLINE_LIMIT, default 120)
 * CMD is killed and whoever still holds the pipe is no longer waited for. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long read_hwm(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmHWM:", 6)) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kb; /* -1 once the process is a zombie: no mm, no VmHWM line */
}

int main(int argc, char **argv)
{
	int fd[2], status = 0, exited = 0, eof = 0, at_bol = 1, gt = 0;
	double t0, first = -1, end;
	long hwm = -1, k;
	struct rusage ru;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: firstline CMD [ARG...]\n");
		return 2;
	}
	if (pipe(fd) < 0)
		return perror("pipe"), 2;
	t0 = now_ms();
	pid = fork();
	if (pid < 0)
		return perror("fork"), 2;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 1);
			close(null);
		}
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	close(fd[1]);
	memset(&ru, 0, sizeof ru);
	char *e = getenv("FIRSTLINE_LIMIT");
	double limit = (e ? atof(e) : 120) * 1e3;
	while (!eof || !exited) {
		if (now_ms() - t0 > limit) {
			if (!exited)
				kill(pid, SIGKILL);
			eof = 1; /* a leftover target may hold the pipe */
		}
		if (!exited) {
			/* Peek at the state without reaping, so VmHWM is read
			 * for as long as the process has its memory. */
			if ((k = read_hwm(pid)) >= 0)
				hwm = k;
			siginfo_t si;
			si.si_pid = 0;
			if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
				if (wait4(pid, &status, 0, &ru) == pid)
					exited = 1;
			}
		}
		if (eof) {
			if (!exited)
				usleep(1000);
			continue;
		}
		struct pollfd p = { .fd = fd[0], .events = POLLIN };
		int r = poll(&p, 1, exited ? 100 : 1);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		char buf[65536];
		ssize_t n = read(fd[0], buf, sizeof buf);
		if (n <= 0) {
			eof = 1;
			continue;
		}
		for (ssize_t i = 0; i < n && first < 0; i++) {
			/* Track "> " at the start of a line across reads. */
			if (at_bol && buf[i] == '>')
				gt = 1;
			else if (gt && buf[i] == ' ')
				first = now_ms() - t0;
			else
				gt = 0;
			at_bol = buf[i] == '\n';
		}
	}
	end = now_ms() - t0;
	printf("%.1f %.1f %ld %ld %d\n", first, end, hwm, ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
