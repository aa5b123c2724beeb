/* Injected system calls (src/engine/jump/inject.c) in a stopped child:
 * getpid answers its pid, an mmap appears in its maps, a memfd is shared
 * both ways, and the child runs on exactly as before (its registers back,
 * nothing left behind). Needs ptrace rights over a child (always). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "engine/jump/inject.h"

/* The child: stops, then exits with a code computed from locals that
 * must have survived the injections. */
static void child(void)
{
	volatile uint64_t a = 0x1122334455667788ull, b = 42;

	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	raise(SIGSTOP);
	_exit(a == 0x1122334455667788ull && b == 42 ? 7 : 9);
}

static bool maps_has(pid_t pid, uint64_t addr)
{
	char path[64], line[512];
	unsigned long long lo, hi;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (!(f = fopen(path, "r")))
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && addr >= lo &&
		    addr < hi)
			found = true;
	fclose(f);
	return found;
}

int main(void)
{
	struct user_regs_struct before, after;
	struct errbuf eb;
	uint64_t args[6] = {0}, addr = 0, taddr = 0;
	int64_t ret = 0;
	int st, fd = -1;
	pid_t pid = fork();

	if (pid == 0)
		child();
	CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st));
	ptrace(PTRACE_GETREGS, pid, NULL, &before);

	CHECK_INT(inject_syscall(pid, SYS_getpid, args, &ret, &eb), 0);
	CHECK_INT(ret, pid);
	/* A failing call: its -errno, not ours. */
	args[0] = 12345;
	CHECK_INT(inject_syscall(pid, SYS_close, args, &ret, &eb), 0);
	CHECK_INT(ret, -EBADF);

	CHECK_INT(inject_mmap(pid, 0, 8192, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, &addr, &eb), 0);
	CHECK(addr && maps_has(pid, addr));

	CHECK_INT(inject_shared_memfd(pid, "tinydbg-ring", 65536, &taddr, &fd,
				      &eb), 0);
	CHECK(fd >= 0 && taddr && maps_has(pid, taddr));
	if (fd >= 0) {
		uint8_t *ours = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
				     MAP_SHARED, fd, 0);
		char got[16] = {0};
		struct iovec l = {got, 6}, r = {(void *)(uintptr_t)taddr, 6};

		CHECK(ours != MAP_FAILED);
		if (ours != MAP_FAILED) {
			memcpy(ours, "hello", 6);
			/* What we wrote, the target sees at its address. */
			CHECK_INT(process_vm_readv(pid, &l, 1, &r, 1, 0), 6);
			CHECK_STR(got, "hello");
			/* And the other way. */
			memcpy(got, "world", 6);
			CHECK_INT(process_vm_writev(pid, &l, 1, &r, 1, 0), 6);
			CHECK_STR((char *)ours, "world");
			munmap(ours, 65536);
		}
		close(fd);
	}

	ptrace(PTRACE_GETREGS, pid, NULL, &after);
	CHECK(!memcmp(&before, &after, sizeof(before)));
	/* Gone: a thread that no longer exists is an error, not a hang. */
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	CHECK_INT(WEXITSTATUS(st), 7);
	CHECK(inject_syscall(pid, SYS_getpid, args, &ret, &eb) < 0);
	return check_report();
}
