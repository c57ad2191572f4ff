/*
** frontend/uelf.c: user-space binaries, for uprobes and user symbols.
**
** Where a uprobe's binary is (a path, a program on PATH, or a library
** named as bpftrace names them: "libc" is libc.so.6 in the library
** directories), which functions it has (.symtab and .dynsym, read with
** libelf), and where a virtual address is in the file (uprobes take file
** offsets). libbpf finds a named function's offset itself when it
** attaches; what is here is what it does not do: wildcards, listings,
** addresses.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ast.h"

static bool is_elf_file(const char *path)
{
	unsigned char m[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = read(fd, m, 4) == 4 && m[0] == 0x7f && m[1] == 'E' && m[2] == 'L' && m[3] == 'F';
	close(fd);
	return ok;
}

/* the library directories of a Debian (multiarch) system, in ld.so's order */
static const char *const LIB_DIRS[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
	"/lib", "/usr/lib", "/usr/local/lib",
};

/* libNAME.so.N (or NAME.so.N, NAME.so) in dir: the versioned ELF file
 * with the shortest name (libc.so.6 before libc.so.6.x; libc.so, the
 * development link or a linker script, last), as the dynamic linker
 * loads it */
static char *find_lib_in(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *best = NULL;
	size_t nl = strlen(name);
	while (d && (e = readdir(d))) {
		const char *f = e->d_name;
		bool match = !strcmp(f, name) ||
			     (!strncmp(f, name, nl) && !strncmp(f + nl, ".so", 3) && (!f[nl + 3] || f[nl + 3] == '.'));
		if (!match)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, f);
		if (!is_elf_file(path))
			continue;
		bool ver = strstr(f + nl, ".so.") != NULL, bver = best && strstr(best + strlen(dir) + 1 + nl, ".so.");
		if (!best || (ver && !bver) || (ver == bver && (strlen(path) < strlen(best) ||
							      (strlen(path) == strlen(best) && strcmp(path, best) < 0)))) {
			free(best);
			best = strdup(path);
		}
	}
	if (d)
		closedir(d);
	return best;
}

/*
** The file a uprobe target names: a path as it is; a bare name, a
** program on PATH, else a library ("libc", "libssl", "libc.so.6") in
** the library directories. NULL (errno ENOENT) when there is none.
*/
char *uelf_resolve(const char *target, pid_t pid)
{
	if (strchr(target, '/')) {
		char path[4096];
		/* -p PID: the process's own root (a container's files) */
		if (pid > 0 && target[0] == '/')
			snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, target);
		else
			snprintf(path, sizeof(path), "%s", target);
		if (access(path, R_OK) == 0)
			return strdup(path);
		return NULL;
	}
	const char *p = getenv("PATH");
	if (p && strncmp(target, "lib", 3)) {
		char *copy = strdup(p), *save = NULL;
		for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", dir, target);
			if (access(path, X_OK) == 0 && is_elf_file(path)) {
				free(copy);
				return strdup(path);
			}
		}
		free(copy);
	}
	char lib[512];
	snprintf(lib, sizeof(lib), "%s%s", strncmp(target, "lib", 3) ? "lib" : "", target);
	for (size_t i = 0; i < sizeof(LIB_DIRS) / sizeof(*LIB_DIRS); i++) {
		char *r = find_lib_in(LIB_DIRS[i], lib);
		if (r)
			return r;
	}
	errno = ENOENT;
	return NULL;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
** The function symbols of an ELF file (defined, in .symtab and .dynsym,
** "name@VERSION" cut at '@') matching a glob, sorted and unique, as
** malloc'd strings in *out; their number, or -1 when the file cannot be
** read as ELF.
*/
int uelf_funcs(const char *path, const char *pattern, char ***out)
{
	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(fd);
		return -1;
	}
	char **v = NULL;
	int n = 0, cap = 0;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t cnt = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; d && i < cnt; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			const char *nm = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!nm || !*nm)
				continue;
			size_t len = strcspn(nm, "@");
			char *name = strndup(nm, len);
			if (!name)
				continue;
			if (pattern && fnmatch(pattern, name, 0)) {
				free(name);
				continue;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				char **nv = realloc(v, sizeof(*v) * (size_t)cap);
				if (!nv) {
					free(name);
					break;
				}
				v = nv;
			}
			v[n++] = name;
		}
	}
	elf_end(e);
	close(fd);
	if (n)
		qsort(v, (size_t)n, sizeof(*v), cmp_name);
	int u = 0;
	for (int i = 0; i < n; i++) {
		if (u && !strcmp(v[u - 1], v[i]))
			free(v[i]);
		else
			v[u++] = v[i];
	}
	*out = v;
	return u;
}

/* a virtual address of the file's code as the file offset uprobes take
 * (through the loadable segment that holds it); -1 when none does */
int64_t uelf_vaddr_to_offset(const char *path, uint64_t vaddr)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	int64_t off = -1;
	size_t n = 0;
	if (e && elf_getphdrnum(e, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
			    vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz) {
				off = (int64_t)(vaddr - ph.p_vaddr + ph.p_offset);
				break;
			}
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return off;
}
