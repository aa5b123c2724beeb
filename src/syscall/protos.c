/* protos: how strace shows the common system calls, in the prototype
 * language (proto/), with the C library's flag and enum typedefs. A call
 * not listed here is shown by name with its six registers in hex. Written
 * from the kernel's syscall signatures (man 2), x86-64. */
#include "syscall/syscall.h"

#include <pthread.h>

static const char syscall_types[] =
	"typedef dirfd = enum(AT_FDCWD=-100);\n"
	"typedef atflags = flags(AT_SYMLINK_NOFOLLOW=0x100, "
	"AT_REMOVEDIR=0x200, AT_SYMLINK_FOLLOW=0x400, AT_NO_AUTOMOUNT=0x800, "
	"AT_EMPTY_PATH=0x1000, AT_STATX_FORCE_SYNC=0x2000, "
	"AT_STATX_DONT_SYNC=0x4000, AT_RECURSIVE=0x8000);\n"
	"typedef sighow = enum(SIG_BLOCK=0, SIG_UNBLOCK=1, SIG_SETMASK=2);\n"
	"typedef fcntlcmd = enum(F_DUPFD=0, F_GETFD=1, F_SETFD=2, F_GETFL=3, "
	"F_SETFL=4, F_GETLK=5, F_SETLK=6, F_SETLKW=7, F_SETOWN=8, "
	"F_GETOWN=9, F_SETSIG=10, F_GETSIG=11, F_OFD_GETLK=36, "
	"F_OFD_SETLK=37, F_OFD_SETLKW=38, F_SETLEASE=1024, F_GETLEASE=1025, "
	"F_NOTIFY=1026, F_DUPFD_CLOEXEC=1030, F_SETPIPE_SZ=1031, "
	"F_GETPIPE_SZ=1032, F_ADD_SEALS=1033, F_GET_SEALS=1034);\n"
	"typedef epollop = enum(EPOLL_CTL_ADD=1, EPOLL_CTL_DEL=2, "
	"EPOLL_CTL_MOD=3);\n"
	"typedef archcode = enum(ARCH_SET_GS=0x1001, ARCH_SET_FS=0x1002, "
	"ARCH_GET_FS=0x1003, ARCH_GET_GS=0x1004, ARCH_GET_CPUID=0x1011, "
	"ARCH_SET_CPUID=0x1012);\n"
	"typedef futexop = flags(FUTEX_WAIT=0/127, FUTEX_WAKE=1/127, "
	"FUTEX_FD=2/127, FUTEX_REQUEUE=3/127, FUTEX_CMP_REQUEUE=4/127, "
	"FUTEX_WAKE_OP=5/127, FUTEX_LOCK_PI=6/127, FUTEX_UNLOCK_PI=7/127, "
	"FUTEX_TRYLOCK_PI=8/127, FUTEX_WAIT_BITSET=9/127, "
	"FUTEX_WAKE_BITSET=10/127, FUTEX_WAIT_REQUEUE_PI=11/127, "
	"FUTEX_CMP_REQUEUE_PI=12/127, FUTEX_LOCK_PI2=13/127, "
	"FUTEX_PRIVATE_FLAG=128, FUTEX_CLOCK_REALTIME=256);\n"
	"typedef cloneflags = flags(CLONE_VM=0x100, CLONE_FS=0x200, "
	"CLONE_FILES=0x400, CLONE_SIGHAND=0x800, CLONE_PIDFD=0x1000, "
	"CLONE_PTRACE=0x2000, CLONE_VFORK=0x4000, CLONE_PARENT=0x8000, "
	"CLONE_THREAD=0x10000, CLONE_NEWNS=0x20000, CLONE_SYSVSEM=0x40000, "
	"CLONE_SETTLS=0x80000, CLONE_PARENT_SETTID=0x100000, "
	"CLONE_CHILD_CLEARTID=0x200000, CLONE_DETACHED=0x400000, "
	"CLONE_UNTRACED=0x800000, CLONE_CHILD_SETTID=0x1000000, "
	"CLONE_NEWCGROUP=0x2000000, CLONE_NEWUTS=0x4000000, "
	"CLONE_NEWIPC=0x8000000, CLONE_NEWUSER=0x10000000, "
	"CLONE_NEWPID=0x20000000, CLONE_NEWNET=0x40000000, "
	"CLONE_IO=0x80000000, SIGCHLD=17/255);\n"
	"typedef clockid = enum(CLOCK_REALTIME=0, CLOCK_MONOTONIC=1, "
	"CLOCK_PROCESS_CPUTIME_ID=2, CLOCK_THREAD_CPUTIME_ID=3, "
	"CLOCK_MONOTONIC_RAW=4, CLOCK_REALTIME_COARSE=5, "
	"CLOCK_MONOTONIC_COARSE=6, CLOCK_BOOTTIME=7);\n"
	"typedef rndflags = flags(GRND_NONBLOCK=1, GRND_RANDOM=2, "
	"GRND_INSECURE=4);\n"
	"typedef mfdflags = flags(MFD_CLOEXEC=1, MFD_ALLOW_SEALING=2, "
	"MFD_HUGETLB=4);\n"
	"typedef waitopts = flags(WNOHANG=1, WUNTRACED=2, WCONTINUED=8, "
	"__WNOTHREAD=0x20000000, __WALL=0x40000000, __WCLONE=0x80000000);\n";

static const char syscall_text[] =
	/* Files. */
	"long read(int fd, addr buf, ulong count);\n"
	"long write(int fd, addr buf, ulong count);\n"
	"long pread64(int fd, addr buf, ulong count, long offset);\n"
	"long pwrite64(int fd, addr buf, ulong count, long offset);\n"
	"long readv(int fd, addr iov, int iovcnt);\n"
	"long writev(int fd, addr iov, int iovcnt);\n"
	"int open(string pathname, oflags flags, mode mode);\n"
	"int openat(dirfd dirfd, string pathname, oflags flags, mode mode);\n"
	"int creat(string pathname, mode mode);\n"
	"int close(int fd);\n"
	"int close_range(uint first, uint last, uint flags);\n"
	"int stat(string pathname, addr statbuf);\n"
	"int lstat(string pathname, addr statbuf);\n"
	"int fstat(int fd, addr statbuf);\n"
	"int newfstatat(dirfd dirfd, string pathname, addr statbuf, "
	"atflags flags);\n"
	"int statx(dirfd dirfd, string pathname, atflags flags, hex(uint) mask, "
	"addr statxbuf);\n"
	"long lseek(int fd, long offset, whence whence);\n"
	"int access(string pathname, amode mode);\n"
	"int faccessat(dirfd dirfd, string pathname, amode mode);\n"
	"int faccessat2(dirfd dirfd, string pathname, amode mode, "
	"atflags flags);\n"
	"int pipe(addr pipefd);\n"
	"int pipe2(addr pipefd, oflags flags);\n"
	"int dup(int oldfd);\n"
	"int dup2(int oldfd, int newfd);\n"
	"int dup3(int oldfd, int newfd, oflags flags);\n"
	"int fcntl(int fd, fcntlcmd cmd, hex(ulong) arg);\n"
	"int ioctl(int fd, hex(uint) request, hex(ulong) arg);\n"
	"int flock(int fd, int operation);\n"
	"int fsync(int fd);\n"
	"int fdatasync(int fd);\n"
	"int truncate(string path, long length);\n"
	"int ftruncate(int fd, long length);\n"
	"long getdents64(int fd, addr dirp, uint count);\n"
	"long getcwd(addr buf, ulong size);\n"
	"int chdir(string path);\n"
	"int fchdir(int fd);\n"
	"int rename(string oldpath, string newpath);\n"
	"int renameat(dirfd olddirfd, string oldpath, dirfd newdirfd, "
	"string newpath);\n"
	"int renameat2(dirfd olddirfd, string oldpath, dirfd newdirfd, "
	"string newpath, uint flags);\n"
	"int mkdir(string pathname, mode mode);\n"
	"int mkdirat(dirfd dirfd, string pathname, mode mode);\n"
	"int rmdir(string pathname);\n"
	"int link(string oldpath, string newpath);\n"
	"int unlink(string pathname);\n"
	"int unlinkat(dirfd dirfd, string pathname, atflags flags);\n"
	"int symlink(string target, string linkpath);\n"
	"long readlink(string pathname, addr buf, ulong bufsiz);\n"
	"long readlinkat(dirfd dirfd, string pathname, addr buf, "
	"ulong bufsiz);\n"
	"int chmod(string pathname, mode mode);\n"
	"int fchmod(int fd, mode mode);\n"
	"int fchmodat(dirfd dirfd, string pathname, mode mode);\n"
	"int chown(string pathname, uint owner, uint group);\n"
	"int fchown(int fd, uint owner, uint group);\n"
	"mode umask(mode mask);\n"
	"int memfd_create(string name, mfdflags flags);\n"
	"int inotify_init1(oflags flags);\n"
	"int eventfd2(uint initval, oflags flags);\n"

	/* Memory. */
	"addr mmap(addr addr, ulong length, prot prot, mapflags flags, "
	"int fd, hex(long) offset);\n"
	"int munmap(addr addr, ulong length);\n"
	"int mprotect(addr addr, ulong len, prot prot);\n"
	"addr mremap(addr old_address, ulong old_size, ulong new_size, "
	"int flags);\n"
	"int madvise(addr addr, ulong length, int advice);\n"
	"addr brk(addr addr);\n"

	/* Processes and threads. */
	"int clone(cloneflags flags, addr stack, addr parent_tid, "
	"addr child_tid, addr tls);\n"
	"int clone3(addr cl_args, ulong size);\n"
	"int fork();\n"
	"int vfork();\n"
	"int execve(string pathname, addr argv, addr envp);\n"
	"int execveat(dirfd dirfd, string pathname, addr argv, addr envp, "
	"atflags flags);\n"
	"void exit(int status);\n"
	"void exit_group(int status);\n"
	"int wait4(int pid, addr wstatus, waitopts options, addr rusage);\n"
	"int kill(int pid, signum sig);\n"
	"int tkill(int tid, signum sig);\n"
	"int tgkill(int tgid, int tid, signum sig);\n"
	"int getpid();\n"
	"int getppid();\n"
	"int gettid();\n"
	"uint getuid();\n"
	"uint geteuid();\n"
	"uint getgid();\n"
	"uint getegid();\n"
	"int setuid(uint uid);\n"
	"int setgid(uint gid);\n"
	"int setsid();\n"
	"int getpgrp();\n"
	"int setpgid(int pid, int pgid);\n"
	"int arch_prctl(archcode code, hex(ulong) addr);\n"
	"int set_tid_address(addr tidptr);\n"
	"long set_robust_list(addr head, ulong len);\n"
	"int prctl(int option, hex(ulong) arg2, hex(ulong) arg3, "
	"hex(ulong) arg4, hex(ulong) arg5);\n"
	"int prlimit64(int pid, int resource, addr new_limit, "
	"addr old_limit);\n"
	"int getrlimit(int resource, addr rlim);\n"
	"int sched_yield();\n"
	"int sched_getaffinity(int pid, ulong cpusetsize, addr mask);\n"
	"int sched_setaffinity(int pid, ulong cpusetsize, addr mask);\n"
	"int rseq(addr rseq, uint rseq_len, int flags, hex(uint) sig);\n"
	"int uname(addr buf);\n"
	"long futex(addr uaddr, futexop futex_op, int val, addr timeout, "
	"addr uaddr2, int val3);\n"

	/* Signals. */
	"int rt_sigaction(signum signum, addr act, addr oldact, "
	"ulong sigsetsize);\n"
	"int rt_sigprocmask(sighow how, addr set, addr oldset, "
	"ulong sigsetsize);\n"
	"int rt_sigreturn();\n"
	"int sigaltstack(addr ss, addr old_ss);\n"
	"int pause();\n"
	"uint alarm(uint seconds);\n"

	/* Time. */
	"int nanosleep(addr req, addr rem);\n"
	"int clock_nanosleep(clockid clockid, int flags, addr request, "
	"addr remain);\n"
	"int clock_gettime(clockid clockid, addr tp);\n"
	"int gettimeofday(addr tv, addr tz);\n"
	"long time(addr tloc);\n"

	/* Sockets and polling. */
	"int socket(domain domain, socktype type, int protocol);\n"
	"int socketpair(domain domain, socktype type, int protocol, "
	"addr sv);\n"
	"int bind(int sockfd, addr addr, uint addrlen);\n"
	"int listen(int sockfd, int backlog);\n"
	"int accept(int sockfd, addr addr, addr addrlen);\n"
	"int accept4(int sockfd, addr addr, addr addrlen, socktype flags);\n"
	"int connect(int sockfd, addr addr, uint addrlen);\n"
	"int getsockname(int sockfd, addr addr, addr addrlen);\n"
	"int getpeername(int sockfd, addr addr, addr addrlen);\n"
	"long sendto(int sockfd, addr buf, ulong len, hex(int) flags, "
	"addr dest_addr, uint addrlen);\n"
	"long recvfrom(int sockfd, addr buf, ulong len, hex(int) flags, "
	"addr src_addr, addr addrlen);\n"
	"long sendmsg(int sockfd, addr msg, hex(int) flags);\n"
	"long recvmsg(int sockfd, addr msg, hex(int) flags);\n"
	"int shutdown(int sockfd, int how);\n"
	"int setsockopt(int sockfd, int level, int optname, addr optval, "
	"uint optlen);\n"
	"int getsockopt(int sockfd, int level, int optname, addr optval, "
	"addr optlen);\n"
	"int poll(addr fds, ulong nfds, int timeout);\n"
	"int ppoll(addr fds, ulong nfds, addr tmo_p, addr sigmask);\n"
	"int select(int nfds, addr readfds, addr writefds, addr exceptfds, "
	"addr timeout);\n"
	"int epoll_create1(oflags flags);\n"
	"int epoll_ctl(int epfd, epollop op, int fd, addr event);\n"
	"int epoll_wait(int epfd, addr events, int maxevents, int timeout);\n"
	"int epoll_pwait(int epfd, addr events, int maxevents, int timeout, "
	"addr sigmask);\n"
	"long getrandom(addr buf, ulong buflen, rndflags flags);\n";

static struct proto_set *set;
static pthread_once_t set_once = PTHREAD_ONCE_INIT;

static void set_build(void)
{
	set = proto_set_new();
	proto_set_parse(set, proto_libc_types, false);
	proto_set_parse(set, syscall_types, false);
	proto_set_parse(set, syscall_text, false);
}

const struct proto *syscall_proto(int nr)
{
	const char *name = syscall_name(nr);

	if (!name)
		return NULL;
	pthread_once(&set_once, set_build);
	return proto_set_find(set, name);
}

/* For the tests: every statement above is understood. */
size_t syscall_protos_skipped(void)
{
	struct proto_set *s = proto_set_new();
	size_t n = proto_set_parse(s, proto_libc_types, false);

	n += proto_set_parse(s, syscall_types, false);
	n += proto_set_parse(s, syscall_text, false);
	proto_set_free(s);
	return n;
}
