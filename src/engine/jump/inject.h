/* inject: making a stopped thread of the target do things for us — how
 * the engines that jump (inproc, and ebpf's jumps to a nop) map their
 * code pages, and inproc its ring, into the target.
 *
 * A system call is injected by pointing the thread at a `syscall`
 * instruction of the vDSO (code no thread can be changing, so other
 * threads need not be stopped for it), with the call's registers,
 * single-stepping it, and putting every register back. The thread must be
 * in a ptrace stop that is not a syscall stop (a trap, a signal delivery,
 * an event stop). A signal that arrives while we step is sent again to the
 * thread afterwards (it is delivered when the thread resumes).
 *
 * Nothing here prints; errors go to the errbuf. */
#ifndef TINYDBG_ENGINE_JUMP_INJECT_H
#define TINYDBG_ENGINE_JUMP_INJECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/errbuf.h"

/* Runs system call nr with args in stopped thread tid; *ret is what the
 * kernel returned (-errno on failure). Returns 0, or a negative errno when
 * the call could not be made (then the thread is as it was). */
int inject_syscall(pid_t tid, long nr, const uint64_t args[6], int64_t *ret,
		   struct errbuf *eb);

/* mmap in the target: len bytes, prot/flags as mmap's, near hint when not
 * 0 (MAP_FIXED_NOREPLACE is the caller's to pass). *addr is where. */
int inject_mmap(pid_t tid, uint64_t hint, size_t len, int prot, int flags,
		int fd, uint64_t *addr, struct errbuf *eb);

/* A memfd of size bytes shared by the target and us: created in the target
 * (named name, as /proc/PID/fd shows it), mapped there read-write at
 * *target_addr, and opened here (*our_fd, close it). The target's fd is
 * closed once mapped. */
int inject_shared_memfd(pid_t tid, const char *name, size_t size,
			uint64_t *target_addr, int *our_fd,
			struct errbuf *eb);

/* The same, mapped in the target with prot and map (MAP_SHARED, or
 * MAP_PRIVATE: the target then sees our writes to the memfd only in the
 * pages it has not written, nor had a uprobe written to), at hint exactly
 * when not 0 (MAP_FIXED_NOREPLACE: -EEXIST when something is there). */
int inject_memfd_at(pid_t tid, const char *name, size_t size, uint64_t hint,
		    int prot, int map, uint64_t *target_addr, int *our_fd,
		    struct errbuf *eb);

/* Runs `rep stosq; int3` at stub (4 bytes of the target's code) on
 * stopped thread tid: len bytes (a multiple of 8) of zeros written at
 * addr by the target itself, in user mode. The registers are put back.
 * Returns 0 or a negative errno. */
int inject_fill(pid_t tid, uint64_t stub, uint64_t addr, size_t len,
		struct errbuf *eb);

/* A thread of process pid in a stop we may inject into (the leader
 * first; a program stopped in its exec's event stop is first stepped to
 * the call's exit), or -1. Every thread is stopped. */
pid_t inject_pick(pid_t pid);

#endif
