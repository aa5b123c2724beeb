/* table: names and numbers from libseccomp (its table follows the
 * kernel's syscall_64.tbl), and the calls a regexp selects. */
#include "syscall/syscall.h"

#include <errno.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sym/symtab.h"

static char *names[SYSCALL_MAX];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void names_build(void)
{
	for (int nr = 0; nr < SYSCALL_MAX; nr++) {
		/* libseccomp returns a malloc'd name, NULL for a hole. */
		names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64,
							     nr);
	}
}

const char *syscall_name(int nr)
{
	if (nr < 0 || nr >= SYSCALL_MAX)
		return NULL;
	pthread_once(&names_once, names_build);
	return names[nr];
}

int syscall_number(const char *name)
{
	int nr;

	if (!name)
		return -1;
	nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);
	return nr >= 0 && nr < SYSCALL_MAX ? nr : -1;
}

int syscall_select(const char *regexp, uint8_t set[SYSCALL_MAX / 8],
		   struct errbuf *eb)
{
	struct name_re *re;
	int err, n = 0;

	memset(set, 0, SYSCALL_MAX / 8);
	if ((err = name_re_compile(&re, regexp, eb)))
		return err;
	for (int nr = 0; nr < SYSCALL_MAX; nr++) {
		const char *name = syscall_name(nr);

		if (name && name_re_match(re, name)) {
			set[nr / 8] |= (uint8_t)(1u << (nr % 8));
			n++;
		}
	}
	name_re_free(re);
	return n;
}

void syscall_arg_loc(int i, struct loc *out)
{
	/* DWARF numbers: rdi 5, rsi 4, rdx 1, r10 10, r8 8, r9 9. */
	static const int regs[6] = {5, 4, 1, 10, 8, 9};

	out->pieces = calloc(1, sizeof(*out->pieces));
	out->npieces = 1;
	out->pieces[0].kind = LOC_REG;
	out->pieces[0].reg = regs[i >= 0 && i < 6 ? i : 0];
}

/* The kernel's own restart codes, which a tracer sees at the exit of a
 * call a signal interrupted (never the program: it restarts, or gets
 * EINTR), shown as strace shows them. */
static const struct {
	int no;
	const char *name, *text;
} restarts[] = {
	{512, "ERESTARTSYS", "To be restarted if SA_RESTART is set"},
	{513, "ERESTARTNOINTR", "To be restarted"},
	{514, "ERESTARTNOHAND", "To be restarted if no handler"},
	{515, "ENOIOCTLCMD", "No ioctl command"},
	{516, "ERESTART_RESTARTBLOCK", "Interrupted by signal"},
};

char *syscall_error_text(int64_t rax)
{
	const char *name;
	char *s;

	if (rax >= 0 || rax < -4095)
		return NULL;
	for (size_t i = 0; i < sizeof(restarts) / sizeof(restarts[0]); i++)
		if (restarts[i].no == -rax)
			return asprintf(&s, "? %s (%s)", restarts[i].name,
					restarts[i].text) < 0 ? NULL : s;
	name = strerrorname_np((int)-rax);
	if (!name)
		return asprintf(&s, "-1 E%d", (int)-rax) < 0 ? NULL : s;
	if (asprintf(&s, "-1 %s (%s)", name, strerror((int)-rax)) < 0)
		return NULL;
	return s;
}
