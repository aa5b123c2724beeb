/* guardian: a process that outlives tinydbg to put an attached target's
 * code back if tinydbg dies without doing it (SIGKILL, a crash).
 *
 * tinydbg cannot restore anything once it is killed, and the kernel then
 * detaches its tracees with whatever it had patched still in: an int3
 * would kill the target at its next hit, a jump to a trampoline would
 * keep tracing into a ring nobody reads. So an attach starts a guardian
 * (double forked: tinydbg's wait loops never see it; its own session:
 * Ctrl-C on the terminal is tinydbg's to handle). It holds one end of a
 * socket pair and waits. tinydbg says "clean" once it has restored
 * everything and detached, and the guardian exits. If the socket closes
 * without that, the guardian attaches to every thread of the target,
 * writes back every byte of its executable file mappings that differs
 * from the file (what any engine of ours patched: breakpoints, jumps),
 * and detaches. The trampolines stay mapped, as after a normal detach. */
#include "engine/ptrace/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GUARD_CLEAN 'c'
#define GUARD_MAX_THREADS 4096

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Every thread of pid seized and stopped; how many. The old tracer's
 * detach may still be under way: a thread still traced is tried again
 * for a while. */
static size_t seize_all(pid_t pid, pid_t *tids, size_t max)
{
	size_t n = 0;

	for (int round = 0; round < 200; round++) {
		char path[64];
		struct dirent *de;
		bool busy = false, added = false;
		DIR *d;

		snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
		if (!(d = opendir(path)))
			break; /* gone */
		while ((de = readdir(d)) && n < max) {
			pid_t tid = (pid_t)atoi(de->d_name);
			bool have = false;
			int st;

			if (tid <= 0)
				continue;
			for (size_t i = 0; i < n && !have; i++)
				have = tids[i] == tid;
			if (have)
				continue;
			if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0) {
				busy |= errno == EPERM;
				continue;
			}
			ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
			if (waitpid(tid, &st, __WALL) == tid && WIFSTOPPED(st))
				tids[n++] = tid;
			added = true;
		}
		closedir(d);
		if (!busy && !added && n)
			break;
		nap_ms(10);
	}
	return n;
}

/* Each private executable mapping of a file: its bytes that differ from
 * the file's, written back (through /proc/PID/mem, which may write a
 * read-only mapping of a stopped tracee). The file is the one mapped
 * (map_files), even if the path now names another. */
static void restore_text(pid_t pid)
{
	char path[128], line[4352];
	FILE *maps;
	int mem;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mem = open(path, O_RDWR | O_CLOEXEC);
	if (!maps || mem < 0)
		goto out;
	while (fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi, off;
		char perms[8], ours[65536], file[65536];
		int fd;

		if (sscanf(line, "%lx-%lx %7s %lx", &lo, &hi, perms, &off) != 4 ||
		    perms[2] != 'x' || perms[3] != 'p' || !strchr(line, '/'))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx",
			 (int)pid, lo, hi);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		for (unsigned long a = lo; a < hi; a += sizeof(ours)) {
			size_t len = hi - a < sizeof(ours) ? hi - a : sizeof(ours);
			ssize_t got = pread(fd, file, len, (off_t)(off + (a - lo)));

			if (got <= 0 || pread(mem, ours, (size_t)got, (off_t)a) != got)
				break;
			for (ssize_t i = 0; i < got;) {
				ssize_t j = i;

				while (j < got && ours[j] != file[j])
					j++;
				if (j > i) {
					if (pwrite(mem, file + i, (size_t)(j - i),
						   (off_t)(a + (unsigned long)i)) < 0)
						break;
					i = j;
				} else {
					i++;
				}
			}
		}
		close(fd);
	}
out:
	if (maps)
		fclose(maps);
	if (mem >= 0)
		close(mem);
}

static void guard(pid_t pid, int fd)
{
	static pid_t tids[GUARD_MAX_THREADS];
	char c = 0;
	ssize_t r;
	size_t n;

	do
		r = recv(fd, &c, 1, 0);
	while (r < 0 && errno == EINTR);
	if (r == 1 && c == GUARD_CLEAN)
		return;
	/* tinydbg is gone without restoring: the target's code back. */
	n = seize_all(pid, tids, GUARD_MAX_THREADS);
	if (!n)
		return;
	restore_text(pid);
	for (size_t i = 0; i < n; i++)
		ptrace(PTRACE_DETACH, tids[i], NULL, NULL);
}

int pt_guardian_start(pid_t pid)
{
	int sv[2], st;
	pid_t mid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	mid = fork();
	if (mid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (!mid) {
		/* The middle child: its child is the guardian, adopted by
		 * init once this one exits. */
		close(sv[0]);
		setsid();
		if (fork() == 0) {
			struct sigaction sa = {.sa_handler = SIG_IGN};

			sigaction(SIGINT, &sa, NULL);
			sigaction(SIGTERM, &sa, NULL);
			sigaction(SIGHUP, &sa, NULL);
			sigaction(SIGPIPE, &sa, NULL);
			/* Only the socket: no copy of another fd of ours
			 * (a pipe tinydbg's reader waits on) stays open. */
			for (int fd = 0; fd < 1024; fd++)
				if (fd != sv[1])
					close(fd);
			guard(pid, sv[1]);
			_exit(0);
		}
		_exit(0);
	}
	close(sv[1]);
	while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
		;
	return sv[0];
}

void pt_guardian_clean(int fd)
{
	char c = GUARD_CLEAN;

	if (fd < 0)
		return;
	if (send(fd, &c, 1, MSG_NOSIGNAL) < 0) {
		/* A guardian gone already: nothing waits for the word. */
	}
	close(fd);
}
