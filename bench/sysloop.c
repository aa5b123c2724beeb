/* bench/syscalls.sh's target: argv[1] "getppid" makes argv[2] getppid
 * calls (none traced); "open" opens and closes /dev/null argv[2] times. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 1000;

	for (long i = 0; i < n; i++) {
		if (!strcmp(argv[1], "getppid")) {
			syscall(SYS_getppid);
		} else {
			int fd = open("/dev/null", O_RDONLY);
			if (fd >= 0)
				close(fd);
		}
	}
	return 0;
}
