/*
** tests/unit/test_uelf.c: user binaries (frontend/uelf.c) on the system's
** own files: the library a name means, a binary's functions and USDT
** probes, a code address as a file offset, and symbols at addresses of a
** running process (this one).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ast.h"

static int npass, nfail;

#define CHECK(what, cond)                                              \
	do {                                                           \
		if (cond) {                                            \
			npass++;                                       \
		} else {                                               \
			nfail++;                                       \
			fprintf(stderr, "FAIL test_uelf.c: %s\n", what); \
		}                                                      \
	} while (0)

static void free_all(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* a function of this program, for usyms_resolve on our own pid */
__attribute__((noinline)) int minibt_uelf_probe_target(int x)
{
	return x * 3 + 1;
}

int main(void)
{
	char *p = uelf_resolve("libc", 0);
	CHECK("libc is libc.so.6 in a library directory", p && strstr(p, "/libc.so.6"));
	free(p);
	p = uelf_resolve("libc.so.6", 0);
	CHECK("libc.so.6 by its file name", p && strstr(p, "/libc.so.6"));
	free(p);
	p = uelf_resolve("sh", 0);
	CHECK("a program on PATH", p && p[0] == '/' && strstr(p, "/sh"));
	free(p);
	p = uelf_resolve("/no/such/binary", 0);
	CHECK("a path that does not exist: NULL", !p);
	p = uelf_resolve("libnosuchlibrary", 0);
	CHECK("a library that does not exist: NULL", !p);

	char **v;
	int n = uelf_funcs("/bin/bash", "readline", &v);
	CHECK("bash has readline (dynsym)", n == 1 && !strcmp(v[0], "readline"));
	free_all(v, n);
	n = uelf_funcs("/bin/bash", "readline*", &v);
	int sorted = 1;
	for (int i = 1; i < n; i++)
		sorted &= strcmp(v[i - 1], v[i]) < 0;
	CHECK("a glob: several, sorted, unique", n > 1 && sorted);
	free_all(v, n);
	char *libc = uelf_resolve("libc", 0);
	n = libc ? uelf_funcs(libc, "malloc", &v) : -1;
	CHECK("libc's malloc, its @VERSION cut", n == 1 && !strcmp(v[0], "malloc"));
	if (n > 0)
		free_all(v, n);
	n = uelf_funcs("/etc/hostname", NULL, &v);
	CHECK("not ELF: -1", n == -1);

	n = uelf_usdt("/usr/bin/python3", "python", "function__*", &v);
	CHECK("python3's function__entry and __return notes", n == 2 && !strcmp(v[0], "python:function__entry") &&
	      !strcmp(v[1], "python:function__return"));
	if (n > 0)
		free_all(v, n);
	n = libc ? uelf_usdt(libc, NULL, NULL, &v) : -1;
	CHECK("Debian's libc has no USDT notes", n == 0);
	if (n > 0)
		free_all(v, n);
	free(libc);

	uint64_t addr = 0, size = 0;
	bool pie = false;
	CHECK("python3's _PyRuntime, a non-PIE global", uelf_sym_addr("/usr/bin/python3", "_PyRuntime", &addr, &size, &pie) &&
	      addr && size > 8 && !pie);
	CHECK("bash's readline: PIE", uelf_sym_addr("/bin/bash", "readline", &addr, &size, &pie) && pie);
	CHECK("readline's address is in an executable segment", uelf_vaddr_to_offset("/bin/bash", addr) > 0);
	CHECK("address 0: in none", uelf_vaddr_to_offset("/bin/bash", 0) == -1);

	/* symbols of this running process: a function, and past the end of it */
	struct usyms *u = usyms_new();
	const char *name = NULL, *file = NULL;
	uint64_t off = 99;
	uint64_t fa = (uint64_t)(uintptr_t)&minibt_uelf_probe_target;
	CHECK("this program's function, offset 0", usyms_resolve(u, getpid(), fa, &name, &off, &file) &&
	      !strcmp(name, "minibt_uelf_probe_target") && off == 0 && strstr(file, "test_uelf"));
	CHECK("inside it: its offset", usyms_resolve(u, getpid(), fa + 2, &name, &off, &file) && off == 2);
	uint64_t ma = (uint64_t)(uintptr_t)&getpid; /* not one a sanitizer wraps */
	CHECK("libc getpid, the file libc", usyms_resolve(u, getpid(), ma, &name, &off, &file) &&
	      strstr(file, "libc.so") && off == 0);
	CHECK("an unmapped address: no symbol", !usyms_resolve(u, getpid(), 16, &name, &off, &file));
	CHECK("a process that does not exist: no symbol", !usyms_resolve(u, 0x3ffffff0, fa, &name, &off, &file));
	usyms_free(u);
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail != 0;
}
