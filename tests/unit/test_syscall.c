/* The system call table (src/syscall): names and numbers from libseccomp,
 * the regexp selection, the prototypes, the error text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine/ebpf/sys.h"
#include "syscall/syscall.h"

static bool has(const uint8_t *set, int nr)
{
	return set[nr / 8] & (1u << (nr % 8));
}

int main(void)
{
	uint8_t set[SYSCALL_MAX / 8];
	struct errbuf eb;
	const struct proto *p;
	struct loc l;
	char *s;
	int n;

	CHECK_STR(syscall_name(0), "read");
	CHECK_STR(syscall_name(257), "openat");
	CHECK_STR(syscall_name(231), "exit_group");
	CHECK(syscall_name(-1) == NULL);
	CHECK(syscall_name(SYSCALL_MAX) == NULL);
	CHECK(syscall_name(600) == NULL); /* a hole */
	CHECK_INT(syscall_number("openat"), 257);
	CHECK_INT(syscall_number("no_such_call"), -1);

	n = syscall_select("^open", set, &eb);
	CHECK(n >= 4); /* open, openat, openat2, open_by_handle_at, ... */
	CHECK(has(set, 2) && has(set, 257));
	CHECK(!has(set, 0));
	CHECK_INT(syscall_select("^(read|write)$", set, &eb), 2);
	CHECK(has(set, 0) && has(set, 1));
	CHECK_INT(syscall_select("^nothing_like_it$", set, &eb), 0);
	CHECK(syscall_select("(", set, &eb) < 0);
	CHECK(strstr(eb.msg, "regexp") != NULL);
	n = syscall_select(".", set, &eb);
	CHECK(n > 300);

	CHECK_INT(syscall_protos_skipped(), 0);
	p = syscall_proto(257);
	CHECK(p != NULL);
	if (p) {
		CHECK_INT(p->nparams, 4);
		CHECK_STR(p->names[1], "pathname");
		CHECK_INT(p->params[0]->kind, CT_ENUM);
		CHECK_INT(p->params[2]->fmt, CTF_FLAGS);
	}
	p = syscall_proto(syscall_number("getcwd"));
	CHECK(p && p->ret && p->ret->kind == CT_INT); /* the length, not libc's pointer */
	CHECK(syscall_proto(syscall_number("kexec_load")) == NULL);

	syscall_arg_loc(3, &l);
	CHECK_INT(l.npieces, 1);
	CHECK_INT(l.pieces[0].reg, 10); /* r10, not rcx */
	loc_release(&l);

	CHECK(syscall_error_text(0) == NULL);
	CHECK(syscall_error_text(3) == NULL);
	CHECK(syscall_error_text(-4096) == NULL);
	s = syscall_error_text(-ENOENT);
	CHECK_STR(s, "-1 ENOENT (No such file or directory)");
	free(s);
	s = syscall_error_text(-512);
	CHECK_STR(s, "? ERESTARTSYS (To be restarted if SA_RESTART is set)");
	free(s);

	/* --ebpf: every call's decoding compiles into capture plans (none
	 * is left to ptrace stops), and they copy what the decoder reads:
	 * openat's path at the entry, from rsi; nothing at the exit. */
	{
		struct cap_plan en, ex;
		int bad = 0;

		for (int nr = 0; nr < SYSCALL_MAX; nr++)
			if (syscall_name(nr) && ebpf_sys_plans(nr, &en, &ex))
				bad++;
		CHECK_INT(bad, 0);
		CHECK_INT(ebpf_sys_plans(257, &en, &ex), 0);
		CHECK_INT(en.nops, 1);
		CHECK(en.ops[0].flags & CAP_OP_STR);
		CHECK_INT(en.ops[0].addr.src, CAP_SRC_REG);
		CHECK_INT(en.ops[0].addr.reg, 4);
		CHECK_INT(ex.nops, 0);
		CHECK_INT(ebpf_sys_plans(39, &en, &ex), 0); /* getpid */
		CHECK_INT(en.nops + ex.nops, 0);
	}
	return check_report();
}
