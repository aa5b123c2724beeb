/* cxxtypes: the C++ standard library's class templates as a C++ programmer
 * names them, and the layout lookups the loaders (cxxstd.c) share.
 *
 * DWARF names a class by its bare name with every template argument
 * spelled out: "vector<int, std::allocator<int> >", and a std::string
 * argument as "std::__cxx11::basic_string<char, std::char_traits<char>,
 * std::allocator<char> >". We print "std::vector<int>" and "std::string":
 * arguments the programmer did not write (allocators, comparators,
 * hashers, deleters) go, and so do the inline namespaces of the ABI
 * (__cxx11) and of the debug mode (__debug, __cxx1998). */
#include "value/value.h"

#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xalloc.h"
#include "value/internal.h"

/* std templates and how many of their arguments are shown (-1: all). */
static const struct {
	const char *name;
	int keep;
} std_templates[] = {
	{"vector", 1},        {"deque", 1},
	{"list", 1},          {"forward_list", 1},
	{"set", 1},           {"multiset", 1},
	{"map", 2},           {"multimap", 2},
	{"unordered_set", 1}, {"unordered_multiset", 1},
	{"unordered_map", 2}, {"unordered_multimap", 2},
	{"unique_ptr", 1},    {"shared_ptr", 1},
	{"weak_ptr", 1},      {"optional", -1},
	{"array", -1},        {"tuple", -1},
	{"pair", -1},         {"basic_string", 1},
	{"basic_string_view", 1},
};

static const char *const noise[] = {"__cxx11::", "__debug::",
				    "__cxx1998::", "__8::"};

/* Copies s without the inline namespaces of noise[]. */
static char *drop_noise(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_init(&sb);
	for (size_t i = 0; i < n;) {
		size_t k = 0;

		for (size_t j = 0; j < sizeof(noise) / sizeof(noise[0]); j++) {
			size_t m = strlen(noise[j]);

			if (n - i >= m && !strncmp(s + i, noise[j], m) &&
			    i >= 5 && !strncmp(s + i - 5, "std::", 5))
				k = m;
		}
		if (k) {
			i += k;
			continue;
		}
		strbuf_addch(&sb, s[i++]);
	}
	return strbuf_detach(&sb);
}

static size_t trim(const char **s, size_t n)
{
	while (n && **s == ' ')
		(*s)++, n--;
	while (n && (*s)[n - 1] == ' ')
		n--;
	return n;
}

static void shorten_into(struct strbuf *out, const char *s, size_t n,
			 int level);

/* The template arguments in s[0, n) (between the brackets), each
 * shortened, the first keep of them (-1: all) joined by ", ". */
static void add_args(struct strbuf *out, const char *s, size_t n, int keep,
		     int level)
{
	int depth = 0, k = 0;
	size_t from = 0;

	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : ',';

		if (c == '<' || c == '(' || c == '[')
			depth++;
		else if ((c == '>' || c == ')' || c == ']') && depth)
			depth--;
		if (c != ',' || depth)
			continue;
		if (keep >= 0 && k >= keep)
			return;
		if (k++)
			strbuf_adds(out, ", ");
		shorten_into(out, s + from, i - from, level + 1);
		from = i + 1;
	}
}

/* One type expression: "std::name<args> tail", or anything else. */
static void shorten_into(struct strbuf *out, const char *s, size_t n,
			 int level)
{
	const char *lt, *head;
	size_t hn, an, end;
	int depth = 0, keep = -1;

	n = trim(&s, n);
	lt = memchr(s, '<', n);
	if (!lt || level > 16) {
		strbuf_add(out, s, n);
		return;
	}
	for (end = (size_t)(lt - s); end < n; end++) {
		if (s[end] == '<')
			depth++;
		else if (s[end] == '>' && --depth == 0)
			break;
	}
	if (end >= n) { /* unbalanced: leave it be */
		strbuf_add(out, s, n);
		return;
	}
	head = s;
	hn = (size_t)(lt - s);
	an = end - hn - 1;
	if (hn > 5 && !strncmp(head, "std::", 5)) {
		for (size_t i = 0;
		     i < sizeof(std_templates) / sizeof(std_templates[0]);
		     i++) {
			if (strlen(std_templates[i].name) == hn - 5 &&
			    !strncmp(head + 5, std_templates[i].name, hn - 5))
				keep = std_templates[i].keep;
		}
		/* std::basic_string<char, ...> is std::string. */
		if ((hn == 17 || hn == 22) && an >= 4 &&
		    !strncmp(lt + 1, "char", 4) &&
		    (an == 4 || lt[5] == ',' || lt[5] == ' ')) {
			strbuf_adds(out, hn == 17 ? "std::string"
						  : "std::string_view");
			strbuf_add(out, s + end + 1, n - end - 1);
			return;
		}
	}
	strbuf_add(out, head, hn);
	strbuf_addch(out, '<');
	add_args(out, lt + 1, an, keep, level);
	strbuf_addch(out, '>');
	strbuf_add(out, s + end + 1, n - end - 1);
}

char *vcxx_type_name(const char *bare)
{
	struct strbuf sb = STRBUF_INIT;
	char *full, *clean;

	if (!strncmp(bare, "const ", 6))
		bare += 6;
	full = xasprintf("std::%s", bare);
	clean = drop_noise(full, strlen(full));
	strbuf_init(&sb);
	shorten_into(&sb, clean, strlen(clean), 0);
	free(full);
	free(clean);
	return strbuf_detach(&sb);
}

/* ---- layouts ---- */

const struct ctype_member *vcxx_member(const struct ctype *st,
				       const char *name, size_t n,
				       uint64_t *off)
{
	if (!st || (st->kind != CT_STRUCT && st->kind != CT_UNION))
		return NULL;
	for (size_t i = 0; i < st->nmembers; i++) {
		const struct ctype_member *m = &st->members[i];

		if (!m->is_base && strlen(m->name) == n &&
		    !strncmp(m->name, name, n)) {
			*off = m->offset;
			return m;
		}
	}
	for (size_t i = 0; i < st->nmembers; i++) {
		const struct ctype_member *m = &st->members[i], *r;
		uint64_t o;

		if (!m->is_base)
			continue;
		if ((r = vcxx_member(vtype_strip(m->type), name, n, &o))) {
			*off = m->offset + o;
			return r;
		}
	}
	return NULL;
}

const struct ctype *vcxx_path(const struct ctype *st, const char *path,
			      uint64_t *off)
{
	const struct ctype *t = st;

	*off = 0;
	while (*path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		const struct ctype_member *m;
		uint64_t o;

		if (!(m = vcxx_member(vtype_strip(t), path, n, &o)))
			return NULL;
		*off += o;
		t = m->type;
		path += n + (dot ? 1 : 0);
	}
	return t;
}

/* Depth-first through members and bases, at most depth levels down. */
static const struct ctype_member *
find_deep(const struct ctype *st, const char *name, const char *in_prefix,
	  int depth, uint64_t *off)
{
	if (!st || (st->kind != CT_STRUCT && st->kind != CT_UNION) ||
	    depth < 0)
		return NULL;
	if (!in_prefix || (st->name && !strncmp(st->name, in_prefix,
						strlen(in_prefix)))) {
		for (size_t i = 0; i < st->nmembers; i++) {
			const struct ctype_member *m = &st->members[i];

			if (!m->is_base && !strcmp(m->name, name)) {
				*off = m->offset;
				return m;
			}
		}
	}
	for (size_t i = 0; i < st->nmembers; i++) {
		const struct ctype_member *m = &st->members[i], *r;
		uint64_t o;

		r = find_deep(vtype_strip(m->type), name, in_prefix,
			      depth - 1, &o);
		if (r) {
			*off = m->offset + o;
			return r;
		}
	}
	return NULL;
}

const struct ctype_member *vcxx_find(const struct ctype *st, const char *name,
				     const char *in_prefix, uint64_t *off)
{
	return find_deep(st, name, in_prefix, 8, off);
}
