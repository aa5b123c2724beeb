/* cxxname: turning "_ZN2ns5Klass6methodEi" into "ns::Klass::method".
 *
 * Users write regexps against qualified names, as Delve shows them; the
 * demangled string also carries the parameter list, cv-qualifiers of
 * methods, gcc's " [clone .constprop.0]", ABI tags ("mk[abi:cxx11]", what
 * a function returning std::string is called) and, for template
 * functions, the result type in front. All of that is trimmed, so that
 * '^mk$' matches and every overload of ns::Klass::method has one name. */
#include "sym/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* libstdc++'s demangler (the binary links -lstdc++). */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
			    int *status);

static bool is_space(char c)
{
	return c == ' ';
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
	size_t m = strlen(suf);

	return n >= m && !memcmp(s + n - m, suf, m);
}

/* Drops trailing " [clone .xxx]" parts. */
static size_t trim_clones(const char *s, size_t n)
{
	while (n && s[n - 1] == ']') {
		size_t i = n - 1;

		while (i && s[i] != '[')
			i--;
		if (s[i] != '[' || strncmp(s + i, "[clone ", 7))
			break;
		n = i;
		while (n && is_space(s[n - 1]))
			n--;
	}
	return n;
}

/* Drops method qualifiers after the parameter list: " const", " &&"... */
static size_t trim_quals(const char *s, size_t n)
{
	static const char *const quals[] = {" const", " volatile", " &&",
					    " &", " noexcept", " restrict",
					    " transaction_safe"};
	bool again = true;

	while (again) {
		again = false;
		for (size_t i = 0; i < sizeof(quals) / sizeof(quals[0]); i++) {
			if (ends_with(s, n, quals[i])) {
				n -= strlen(quals[i]);
				again = true;
			}
		}
	}
	return n;
}

/* The length of s without its final "(...)" parameter list. */
static size_t trim_params(const char *s, size_t n)
{
	int depth = 0;

	if (!n || s[n - 1] != ')')
		return n;
	for (size_t i = n; i-- > 0;) {
		if (s[i] == ')')
			depth++;
		else if (s[i] == '(' && --depth == 0)
			return i;
	}
	return n;
}

/* Where the qualified name starts: after a template function's result
 * type ("int ns::max<int>"), i.e. after the last space outside brackets.
 * Operator names carry brackets and spaces of their own ("operator<",
 * "operator new", "operator int"), so they are stepped over. */
static size_t name_start(const char *s, size_t n)
{
	size_t start = 0;
	int depth = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (depth == 0 && !strncmp(s + i, "operator", 8) &&
		    (i == 0 || s[i - 1] == ':' || s[i - 1] == ' ') &&
		    !isalnum((unsigned char)s[i + 8]) && s[i + 8] != '_') {
			/* The rest is the operator's name (a conversion
			 * operator's type may hold anything). */
			break;
		}
		if (c == '<' || c == '(' || c == '[' || c == '{')
			depth++;
		else if ((c == '>' || c == ')' || c == ']' || c == '}') &&
			 depth > 0)
			depth--;
		else if (c == ' ' && depth == 0)
			start = i + 1;
	}
	return start;
}

/* Removes every "[abi:...]" from s[0, n) in place; returns the new
 * length. The tags say how a name links, not what the programmer wrote
 * (and "operator[]" has no "abi:" in its brackets). */
static size_t drop_abi_tags(char *s, size_t n)
{
	size_t w = 0;

	for (size_t r = 0; r < n;) {
		if (n - r > 5 && !strncmp(s + r, "[abi:", 5)) {
			const char *end = memchr(s + r, ']', n - r);

			if (end) {
				r = (size_t)(end - s) + 1;
				continue;
			}
		}
		s[w++] = s[r++];
	}
	return w;
}

char *cxxname_display(struct arena *a, const char *mangled)
{
	int status = -1;
	char *d;
	size_t n, start;
	char *out;

	if (!mangled || strncmp(mangled, "_Z", 2))
		return NULL;
	d = __cxa_demangle(mangled, NULL, NULL, &status);
	if (!d || status != 0) {
		free(d);
		return NULL;
	}
	n = strlen(d);
	n = trim_clones(d, n);
	n = drop_abi_tags(d, n);
	n = trim_quals(d, n);
	n = trim_params(d, n);
	start = name_start(d, n);
	out = arena_strndup(a, d + start, n - start);
	free(d);
	return out;
}
