/* inject: system calls run by a stopped thread of the target (inject.h). */
#include "engine/jump/inject.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

#include "engine/ptrace/ptrace.h"

/* The address of a `syscall` instruction (0f 05) in tid's vDSO, or 0. Any
 * such pair will do, even one inside a longer instruction: we execute just
 * those two bytes. */
static uint64_t vdso_syscall(pid_t tid)
{
	char path[64], line[256];
	unsigned long long lo = 0, hi = 0;
	uint8_t buf[16384];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tid);
	if (!(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[vdso]") &&
		    sscanf(line, "%llx-%llx", &lo, &hi) == 2)
			break;
	fclose(f);
	if (!lo || hi <= lo)
		return 0;
	if (hi - lo > sizeof(buf))
		hi = lo + sizeof(buf);
	struct iovec l = {buf, hi - lo}, r = {(void *)(uintptr_t)lo, hi - lo};
	if (process_vm_readv(tid, &l, 1, &r, 1, 0) != (ssize_t)(hi - lo))
		return 0;
	for (size_t i = 0; i + 1 < hi - lo; i++)
		if (buf[i] == 0x0f && buf[i + 1] == 0x05)
			return lo + i;
	return 0;
}

/* Runs stopped thread tid from registers r (saved: what it had) with
 * ptrace request req (a step, or a run) until it traps; then r gets the
 * registers it stopped with and saved goes back. A signal that came
 * meanwhile is sent again after. what: for the errors. */
static int run_injected(pid_t tid, const struct user_regs_struct *saved,
			struct user_regs_struct *r, int req, const char *what,
			struct errbuf *eb)
{
	int st, resend = 0;

	if (ptrace(PTRACE_SETREGS, tid, NULL, r) < 0)
		return errbuf_set(eb, -errno, "thread %d: setting its "
				  "registers: %s", (int)tid, strerror(errno));
	for (;;) {
		if (ptrace((enum __ptrace_request)req, tid, NULL, NULL) < 0) {
			int e = errno;

			ptrace(PTRACE_SETREGS, tid, NULL, saved);
			return errbuf_set(eb, -e, "thread %d: running %s: %s",
					  (int)tid, what, strerror(e));
		}
		if (waitpid(tid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return errbuf_set(eb, -errno, "thread %d: waiting: %s",
					  (int)tid, strerror(errno));
		}
		if (!WIFSTOPPED(st))
			return errbuf_set(eb, -ESRCH, "thread %d ended while "
					  "running %s", (int)tid, what);
		if (WSTOPSIG(st) == SIGTRAP && !(st >> 16))
			break;
		/* Another signal came first (a step has not run; a run
		 * resumes where it was): sent again once the registers are
		 * back. */
		if (!(st >> 16))
			resend = WSTOPSIG(st);
	}
	if (ptrace(PTRACE_GETREGS, tid, NULL, r) < 0 ||
	    ptrace(PTRACE_SETREGS, tid, NULL, saved) < 0)
		return errbuf_set(eb, -errno, "thread %d: restoring its "
				  "registers: %s", (int)tid, strerror(errno));
	if (resend)
		syscall(SYS_tkill, tid, resend);
	return 0;
}

int inject_syscall(pid_t tid, long nr, const uint64_t args[6], int64_t *ret,
		   struct errbuf *eb)
{
	struct user_regs_struct saved, r;
	uint64_t at = vdso_syscall(tid);
	int err;

	if (!at)
		return errbuf_set(eb, -ENOENT, "thread %d: no syscall "
				  "instruction found in its vDSO", (int)tid);
	if (ptrace(PTRACE_GETREGS, tid, NULL, &saved) < 0)
		return errbuf_set(eb, -errno, "thread %d: reading its "
				  "registers: %s", (int)tid, strerror(errno));
	r = saved;
	r.rax = (unsigned long long)nr;
	ptrace_syscall_args(&r, args);
	r.rip = at;
	/* Not in a syscall: no restart logic may rewrite rax or rip. */
	r.orig_rax = (unsigned long long)-1;
	if ((err = run_injected(tid, &saved, &r, PTRACE_SINGLESTEP,
				"an injected system call", eb)))
		return err;
	if (r.rip != at + 2)
		return errbuf_set(eb, -EIO, "thread %d: the injected system "
				  "call did not complete", (int)tid);
	*ret = (int64_t)r.rax;
	return 0;
}

int inject_mmap(pid_t tid, uint64_t hint, size_t len, int prot, int flags,
		int fd, uint64_t *addr, struct errbuf *eb)
{
	uint64_t a[6] = {hint, len, (uint64_t)prot, (uint64_t)flags,
			 (uint64_t)(int64_t)fd, 0};
	int64_t ret;
	int err = inject_syscall(tid, SYS_mmap, a, &ret, eb);

	if (err)
		return err;
	if (ret < 0 && ret > -4096)
		return errbuf_set(eb, (int)ret, "mmap in thread %d: %s",
				  (int)tid, strerror((int)-ret));
	*addr = (uint64_t)ret;
	return 0;
}

int inject_shared_memfd(pid_t tid, const char *name, size_t size,
			uint64_t *target_addr, int *our_fd,
			struct errbuf *eb)
{
	return inject_memfd_at(tid, name, size, 0, PROT_READ | PROT_WRITE,
			       MAP_SHARED, target_addr, our_fd, eb);
}

int inject_memfd_at(pid_t tid, const char *name, size_t size, uint64_t hint,
		    int prot, int map, uint64_t *target_addr, int *our_fd,
		    struct errbuf *eb)
{
	struct user_regs_struct r;
	size_t nlen = strlen(name) + 1;
	uint64_t a[6] = {0}, at;
	int64_t fd, ret;
	char path[64];
	int err, ours;

	if (nlen > 200)
		return errbuf_set(eb, -EINVAL, "memfd name too long");
	if (ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0)
		return errbuf_set(eb, -errno, "thread %d: reading its "
				  "registers: %s", (int)tid, strerror(errno));
	/* The name goes below the red zone of the thread's stack, which
	 * the code it runs next does not expect to keep. */
	at = (r.rsp - 128 - 256) & ~15ull;
	struct iovec l = {(void *)name, nlen}, rv = {(void *)(uintptr_t)at, nlen};
	if (process_vm_writev(tid, &l, 1, &rv, 1, 0) != (ssize_t)nlen)
		return errbuf_set(eb, -errno, "thread %d: writing to its "
				  "stack: %s", (int)tid, strerror(errno));
	a[0] = at;
	a[1] = MFD_CLOEXEC;
	if ((err = inject_syscall(tid, SYS_memfd_create, a, &fd, eb)))
		return err;
	if (fd < 0)
		return errbuf_set(eb, (int)fd, "memfd_create in thread %d: %s",
				  (int)tid, strerror((int)-fd));
	a[0] = (uint64_t)fd;
	a[1] = size;
	err = inject_syscall(tid, SYS_ftruncate, a, &ret, eb);
	if (!err && ret < 0)
		err = errbuf_set(eb, (int)ret, "ftruncate in thread %d: %s",
				 (int)tid, strerror((int)-ret));
	if (!err)
		err = inject_mmap(tid, hint, size, prot,
				  map | (hint ? MAP_FIXED_NOREPLACE : 0),
				  (int)fd, target_addr, eb);
	if (!err && hint && *target_addr != hint)
		err = errbuf_set(eb, -EEXIST, "mmap in thread %d: not at %#llx",
				 (int)tid, (unsigned long long)hint);
	if (!err) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)tid,
			 (int)fd);
		ours = open(path, O_RDWR | O_CLOEXEC);
		if (ours < 0)
			err = errbuf_set(eb, -errno, "opening %s: %s", path,
					 strerror(errno));
		else
			*our_fd = ours;
	}
	/* The mapping keeps the memfd alive: the target needs no fd. */
	a[0] = (uint64_t)fd;
	inject_syscall(tid, SYS_close, a, &ret, NULL);
	return err;
}

int inject_fill(pid_t tid, uint64_t stub, uint64_t addr, size_t len,
		struct errbuf *eb)
{
	struct user_regs_struct saved, r;
	int err;

	if (ptrace(PTRACE_GETREGS, tid, NULL, &saved) < 0)
		return errbuf_set(eb, -errno, "thread %d: reading its "
				  "registers: %s", (int)tid, strerror(errno));
	r = saved;
	r.rip = stub;
	r.rdi = addr;
	r.rcx = len / 8;
	r.rax = 0;
	r.eflags &= ~(1ull << 10); /* DF clear: upwards */
	r.orig_rax = (unsigned long long)-1;
	/* Run, not stepped: a step is one iteration of rep. */
	if ((err = run_injected(tid, &saved, &r, PTRACE_CONT, "injected code",
				eb)))
		return err;
	if (r.rip != stub + 4 || r.rcx)
		return errbuf_set(eb, -EIO, "thread %d: the injected fill "
				  "did not complete", (int)tid);
	return 0;
}
/* Whether tid (stopped) may have a system call injected: not when it is
 * inside one that has yet to return (a syscall-entry stop, or an event
 * stop such as a clone's: rax is -ENOSYS), since that return would
 * overwrite the number we put in rax. A call interrupted by the stop
 * (rax -ERESTART...) is fine: it restarts when the registers are back. */
static bool injectable(pid_t tid)
{
	struct user_regs_struct r;

	if (ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0)
		return false;
	return !((int64_t)r.orig_rax >= 0 && (int64_t)r.rax == -ENOSYS);
}

/* A program that has no interpreter (static; Go) is stopped where exec
 * left it: in the execve call's event stop, whose return would overwrite
 * what we inject. One step to the call's exit stop settles it: the
 * program has not run an instruction yet. */
static void settle_exec(pid_t pid)
{
	struct user_regs_struct r;
	siginfo_t si;
	int st;

	/* The exec event stop only (not the call's entry stop, after which
	 * the next stop would be the exec event the ptrace engine waits
	 * for): the next stop is then the call's exit, ours to take. */
	if (ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) < 0 ||
	    si.si_code != (SIGTRAP | (PTRACE_EVENT_EXEC << 8)) ||
	    ptrace(PTRACE_GETREGS, pid, NULL, &r) < 0 ||
	    (r.orig_rax != SYS_execve && r.orig_rax != SYS_execveat) ||
	    (int64_t)r.rax != -ENOSYS)
		return;
	if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) < 0)
		return;
	while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
		;
}

/* A thread of the process in a stop we may inject into (the leader
 * first), or -1. */
pid_t inject_pick(pid_t pid)
{
	char path[64];
	struct dirent *d;
	pid_t found = -1;
	DIR *dir;

	if (!injectable(pid))
		settle_exec(pid);
	if (injectable(pid))
		return pid;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(dir = opendir(path)))
		return -1;
	while (found < 0 && (d = readdir(dir))) {
		pid_t tid = (pid_t)atoi(d->d_name);

		if (tid > 0 && tid != pid && injectable(tid))
			found = tid;
	}
	closedir(dir);
	return found;
}

