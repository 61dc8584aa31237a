/* The workloads `make bench` runs bare and under `vigil run`, each timing itself so the
 * comparison is of the command's own time, not of Vigil's start and stop:
 *   load exec N         fork + execve(/bin/true) + wait, N times (a shell loop's shape)
 *   load open N FILE    open(FILE, O_RDONLY) + close, N times
 *   load write N FILE   N one-byte write() calls to FILE (write is not a captured syscall)
 *   load run CMD ARGS   run CMD once and wait for it
 * On success prints `elapsed_ns=T cpu_ns=C` on stdout: wall time (CLOCK_MONOTONIC) and CPU
 * time (user + system, its own and its waited-for children's), around the loop only.
 * Compiled by scripts/bench.sh with the system's cc; C, not a script, so that an
 * interpreter's own work does not hide the syscalls being measured. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CPU time, user and system, of this process and its reaped children. */
static long long cpu_ns(void) {
	long long total = 0;
	int who[] = {RUSAGE_SELF, RUSAGE_CHILDREN};
	for (int i = 0; i < 2; i++) {
		struct rusage ru;
		getrusage(who[i], &ru);
		total += (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
			 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
	}
	return total;
}

static int fail(const char *what, const char *arg) {
	fprintf(stderr, "load: %s %s: %s\n", what, arg, strerror(errno));
	return 1;
}

/* Forks, execs argv, waits; returns 0 when the child exited 0. */
static int spawn_wait(char *const argv[]) {
	pid_t pid = fork();
	if (pid < 0)
		return fail("fork", argv[0]);
	if (pid == 0) {
		execvp(argv[0], argv);
		fail("execvp", argv[0]);
		_exit(127);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return fail("waitpid", argv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "load: %s ended with status 0x%x\n", argv[0], status);
		return 1;
	}
	return 0;
}

static long count(const char *arg) {
	char *end;
	long n = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || n <= 0) {
		fprintf(stderr, "load: count %s: not a positive number\n", arg);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: load exec N | open N FILE | write N FILE | run CMD ARGS...\n");
		return 2;
	}
	const char *mode = argv[1];
	long long t0 = now_ns(), c0 = cpu_ns();
	if (strcmp(mode, "exec") == 0) {
		char *true_argv[] = {"/bin/true", NULL};
		for (long i = count(argv[2]); i > 0; i--)
			if (spawn_wait(true_argv))
				return 1;
	} else if (strcmp(mode, "open") == 0 && argc == 4) {
		for (long i = count(argv[2]); i > 0; i--) {
			int fd = open(argv[3], O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return fail("open", argv[3]);
			close(fd);
		}
	} else if (strcmp(mode, "write") == 0 && argc == 4) {
		int fd = open(argv[3], O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return fail("open", argv[3]);
		t0 = now_ns();
		c0 = cpu_ns();
		for (long i = count(argv[2]); i > 0; i--)
			if (write(fd, "x", 1) != 1)
				return fail("write", argv[3]);
		close(fd);
	} else if (strcmp(mode, "run") == 0) {
		if (spawn_wait(argv + 2))
			return 1;
	} else {
		fprintf(stderr, "load: unknown mode or wrong arguments: %s\n", mode);
		return 2;
	}
	printf("elapsed_ns=%lld cpu_ns=%lld\n", now_ns() - t0, cpu_ns() - c0);
	return 0;
}
