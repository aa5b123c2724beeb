/* textcmp PID: compares every executable file mapping of process PID with
 * the bytes of its file, to prove a tracer left no breakpoint behind.
 * Prints each difference; exits 0 when all bytes match, 1 otherwise. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[64], line[4352];
	int diffs = 0, mapped = 0;
	FILE *maps;
	int mem;

	if (argc != 2) {
		fprintf(stderr, "usage: textcmp PID\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%s/maps", argv[1]);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%s/mem", argv[1]);
	mem = open(path, O_RDONLY);
	if (!maps || mem < 0) {
		perror("textcmp");
		return 2;
	}
	while (fgets(line, sizeof(line), maps)) {
		uint64_t lo, hi, off;
		char perms[8], file[4096] = "";
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %4095s",
			   &lo, &hi, perms, &off, file) < 5 || perms[2] != 'x' || file[0] != '/')
			continue;
		int fd = open(file, O_RDONLY);
		if (fd < 0)
			continue;
		size_t n = hi - lo;
		unsigned char *a = malloc(n), *b = malloc(n);
		ssize_t ra = pread(mem, a, n, (off_t)lo);
		ssize_t rb = pread(fd, b, n, (off_t)off);
		/* The file may end inside the last page. */
		size_t cmp = ra < rb ? (size_t)(ra < 0 ? 0 : ra) : (size_t)(rb < 0 ? 0 : rb);
		for (size_t i = 0; i < cmp; i++) {
			if (a[i] != b[i] && diffs++ < 20)
				printf("%s+%#" PRIx64 " (at %#" PRIx64 "): %02x, file has %02x\n",
				       file, off + i, lo + i, a[i], b[i]);
		}
		mapped++;
		free(a);
		free(b);
		close(fd);
	}
	if (!mapped) {
		fprintf(stderr, "textcmp: no executable file mapping\n");
		return 2;
	}
	return diffs ? 1 : 0;
}
