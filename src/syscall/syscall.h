/* syscall: Linux x86-64 system calls — their names and numbers (from
 * libseccomp's table, which follows the kernel's, never typed by hand), the
 * calls a regexp selects (--syscalls), and how to show their arguments and
 * results as strace does: a prototype per common call in the prototype
 * language (proto/: paths as strings, flags by name, fds as numbers), the
 * registers the kernel takes them in, and `-1 ENOENT (No such file or
 * directory)` for an error. */
#ifndef TINYDBG_SYSCALL_SYSCALL_H
#define TINYDBG_SYSCALL_SYSCALL_H

#include <stddef.h>
#include <stdint.h>

#include "base/errbuf.h"
#include "proto/proto.h"
#include "sym/loc.h"

/* Numbers are below this (x86-64's table, with room). */
#define SYSCALL_MAX 1024

/* The name of system call nr ("openat"), or NULL when there is none. */
const char *syscall_name(int nr);
/* The number of the call named name, or -1. */
int syscall_number(const char *name);

/* The calls whose names the PCRE2 regexp matches (unanchored, as the
 * function regexp): a set of SYSCALL_MAX bits in *set. Returns how many,
 * or a negative errno with eb set (a bad regexp; one matching nothing is
 * 0, the caller's to report). */
int syscall_select(const char *regexp, uint8_t set[SYSCALL_MAX / 8],
		   struct errbuf *eb);

/* How to show call nr: its prototype (strace's view of its arguments;
 * NULL for a call we know only by name: shown as six raw hex arguments).
 * From a set built once, thread-safe. */
const struct proto *syscall_proto(int nr);
/* How many statements of the built-in table are not understood (the
 * tests: none). */
size_t syscall_protos_skipped(void);
/* Where argument i (0..5) is at the syscall's entry stop: rdi rsi rdx r10
 * r8 r9 (not rcx: the syscall instruction overwrites it). Fills a malloc'd
 * loc (loc_release). */
void syscall_arg_loc(int i, struct loc *out);

/* The text of a raw result rax: an error (-4095..-1) as "-1 ENOENT (No such
 * file or directory)", else NULL (the caller formats the value by the
 * prototype's result type). Returns a malloc'd string or NULL. */
char *syscall_error_text(int64_t rax);

#endif
