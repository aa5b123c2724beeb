/* set: a set of prototypes and the memory behind them; the default set
 * (the built-in table and ltrace's files). */
#include "proto/internal.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *proto_alloc(struct proto_set *s, size_t n)
{
	void *p = xcalloc(1, n ? n : 1);

	VEC_PUSH(&s->owned, p);
	return p;
}

char *proto_strndup(struct proto_set *s, const char *p, size_t n)
{
	char *d = proto_alloc(s, n + 1);

	memcpy(d, p, n);
	return d;
}

struct proto_set *proto_set_new(void)
{
	return xcalloc(1, sizeof(struct proto_set));
}

void proto_set_free(struct proto_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->owned.len; i++)
		free(s->owned.items[i]);
	VEC_FREE(&s->owned);
	VEC_FREE(&s->protos);
	VEC_FREE(&s->typedefs);
	free(s);
}

static ssize_t find_index(const struct proto_set *s, const char *name,
			  size_t len)
{
	for (size_t i = 0; i < s->protos.len; i++) {
		const char *n = s->protos.items[i]->name;

		if (strlen(n) == len && !memcmp(n, name, len))
			return (ssize_t)i;
	}
	return -1;
}

void proto_set_add(struct proto_set *s, struct proto *p, bool keep_old)
{
	ssize_t i = find_index(s, p->name, strlen(p->name));

	if (i < 0)
		VEC_PUSH(&s->protos, p);
	else if (!keep_old)
		s->protos.items[i] = p;
}

const struct proto *proto_set_find(const struct proto_set *s,
				   const char *name)
{
	ssize_t i;

	if (!s || !name)
		return NULL;
	i = find_index(s, name, strcspn(name, "@"));
	return i < 0 ? NULL : s->protos.items[i];
}

size_t proto_set_count(const struct proto_set *s)
{
	return s ? s->protos.len : 0;
}

const struct proto_typedef *proto_typedef_find(const struct proto_set *s,
					       const char *name, size_t len)
{
	/* The newest: a file may define a name again. */
	for (size_t i = s->typedefs.len; i-- > 0;) {
		const char *n = s->typedefs.items[i].name;

		if (strlen(n) == len && !memcmp(n, name, len))
			return &s->typedefs.items[i];
	}
	return NULL;
}

void proto_typedef_add(struct proto_set *s, const char *name, size_t len,
		       const struct ctype *t)
{
	struct proto_typedef td = {proto_strndup(s, name, len), t};

	VEC_PUSH(&s->typedefs, td);
}

long proto_set_load_file(struct proto_set *s, const char *path, bool keep_old)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	char buf[4096];
	long skipped;

	if (!f)
		return -errno;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		/* A prototype file is small: one over 4 MiB is not one. */
		if (len + n > (4u << 20)) {
			fclose(f);
			free(text);
			return -EFBIG;
		}
		xgrow((void **)&text, &cap, len + n + 1, 1);
		memcpy(text + len, buf, n);
		len += n;
	}
	fclose(f);
	if (!text)
		return 0;
	text[len] = 0;
	skipped = (long)proto_set_parse(s, text, keep_old);
	free(text);
	return skipped;
}

/* ---- the default set ---- */

static struct proto_set *dflt;
static pthread_once_t dflt_once = PTHREAD_ONCE_INIT;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ltrace's per-library files, in name order. */
static void load_share_dir(struct proto_set *s, const char *dir)
{
	VEC(char *) names = {0};
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 5 && !strcmp(de->d_name + n - 5, ".conf"))
			VEC_PUSH(&names, xasprintf("%s/%s", dir, de->d_name));
	}
	closedir(d);
	if (names.len)
		qsort(names.items, names.len, sizeof(*names.items), cmp_str);
	for (size_t i = 0; i < names.len; i++) {
		proto_set_load_file(s, names.items[i], true);
		free(names.items[i]);
	}
	VEC_FREE(&names);
}

static void dflt_build(void)
{
	const char *home = getenv("HOME");
	struct proto_set *s = proto_set_new();

	/* Highest first, each later one only adding what is not there:
	 * the user's file, ours, then ltrace's shipped defaults. */
	if (home && *home) {
		char *p = xasprintf("%s/.ltrace.conf", home);

		proto_set_load_file(s, p, true);
		free(p);
	}
	proto_set_parse(s, proto_libc_types, true);
	proto_set_parse(s, proto_libc_text, true);
	proto_set_load_file(s, "/etc/ltrace.conf", true);
	load_share_dir(s, "/usr/share/ltrace");
	dflt = s;
}

const struct proto_set *proto_default(void)
{
	pthread_once(&dflt_once, dflt_build);
	return dflt;
}

void proto_default_free(void)
{
	proto_set_free(dflt);
	dflt = NULL;
}
