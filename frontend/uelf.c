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

/* path as libelf's ELF, its fd in *fd; NULL when it is not readable as ELF */
static Elf *elf_open(const char *path, int *fd)
{
	*fd = -1;
	if (elf_version(EV_CURRENT) == EV_NONE || (*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	Elf *e = elf_begin(*fd, ELF_C_READ, NULL);
	if (e && elf_kind(e) == ELF_K_ELF)
		return e;
	if (e)
		elf_end(e);
	close(*fd);
	*fd = -1;
	return NULL;
}

static void elf_close(Elf *e, int fd)
{
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
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

/* v[0..n) sorted, duplicates freed; the number left */
static int sort_unique(char **v, int n)
{
	if (n)
		qsort(v, (size_t)n, sizeof(*v), cmp_name);
	int u = 0;
	for (int i = 0; i < n; i++) {
		if (u && !strcmp(v[u - 1], v[i]))
			free(v[i]);
		else
			v[u++] = v[i];
	}
	return u;
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
	int fd;
	Elf *e = elf_open(path, &fd);
	if (!e)
		return -1;
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
	elf_close(e, fd);
	*out = v;
	return sort_unique(v, n);
}

/* a virtual address of the file's code as the file offset uprobes take
 * (through the loadable segment that holds it); -1 when none does */
int64_t uelf_vaddr_to_offset(const char *path, uint64_t vaddr)
{
	int fd;
	Elf *e = elf_open(path, &fd);
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
	elf_close(e, fd);
	return off;
}

/* ------------------------------------------------------ user symbols */

struct usym_sym {
	uint64_t addr, size;
	char *name;
};

struct usym_file {
	char *path;
	struct usym_sym *syms; /* sorted by addr */
	size_t n;
	GElf_Phdr *load;       /* PT_LOAD headers */
	size_t nload;
};

struct usym_map {
	uint64_t start, end, pgoff;
	int file; /* index in files, -1 unreadable */
};

struct usym_pid {
	pid_t pid;
	struct usym_map *maps;
	size_t n;
};

struct usyms {
	struct usym_file *files;
	size_t nfiles;
	struct usym_pid *pids;
	size_t npids;
};

struct usyms *usyms_new(void)
{
	return calloc(1, sizeof(struct usyms));
}

void usyms_free(struct usyms *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nfiles; i++) {
		for (size_t k = 0; k < u->files[i].n; k++)
			free(u->files[i].syms[k].name);
		free(u->files[i].syms);
		free(u->files[i].load);
		free(u->files[i].path);
	}
	for (size_t i = 0; i < u->npids; i++)
		free(u->pids[i].maps);
	free(u->files);
	free(u->pids);
	free(u);
}

static int sym_cmp(const void *a, const void *b)
{
	const struct usym_sym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* the file's symbols (functions and objects, .symtab and .dynsym) and
 * load segments, read once per path */
static int usym_file(struct usyms *u, const char *path, const char *open_path)
{
	for (size_t i = 0; i < u->nfiles; i++)
		if (!strcmp(u->files[i].path, path))
			return (int)i;
	struct usym_file f = { .path = strdup(path) };
	int fd;
	Elf *e = elf_open(open_path, &fd);
	size_t cap = 0, np = 0;
	if (e) {
		if (elf_getphdrnum(e, &np) == 0 && np) {
			f.load = calloc(np, sizeof(*f.load));
			for (size_t i = 0; f.load && i < np; i++) {
				GElf_Phdr ph;
				if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
					f.load[f.nload++] = ph;
			}
		}
		Elf_Scn *scn = NULL;
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			size_t cnt = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
			for (size_t i = 0; d && i < cnt; i++) {
				GElf_Sym sym;
				int ty;
				if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value ||
				    ((ty = GELF_ST_TYPE(sym.st_info)) != STT_FUNC && ty != STT_OBJECT && ty != STT_GNU_IFUNC))
					continue;
				const char *nm = elf_strptr(e, sh.sh_link, sym.st_name);
				if (!nm || !*nm)
					continue;
				if (f.n == cap) {
					cap = cap ? cap * 2 : 1024;
					struct usym_sym *ns = realloc(f.syms, cap * sizeof(*ns));
					if (!ns)
						break;
					f.syms = ns;
				}
				f.syms[f.n++] = (struct usym_sym){ sym.st_value, sym.st_size, strndup(nm, strcspn(nm, "@")) };
			}
		}
	}
	elf_close(e, fd);
	if (f.n)
		qsort(f.syms, f.n, sizeof(*f.syms), sym_cmp);
	struct usym_file *nf = realloc(u->files, (u->nfiles + 1) * sizeof(*nf));
	if (!nf) {
		free(f.path);
		return -1;
	}
	u->files = nf;
	u->files[u->nfiles] = f;
	return (int)u->nfiles++;
}

/* the process's file mappings (/proc/PID/maps), read when first asked
 * for, again when an address is in none of them (a library loaded
 * since); NULL when the process is gone */
static struct usym_pid *usym_pid(struct usyms *u, pid_t pid, bool reread)
{
	struct usym_pid *p = NULL;
	for (size_t i = 0; i < u->npids; i++)
		if (u->pids[i].pid == pid)
			p = &u->pids[i];
	if (p && !reread)
		return p;
	char mp[64];
	snprintf(mp, sizeof(mp), "/proc/%d/maps", (int)pid);
	FILE *fp = fopen(mp, "re");
	if (!fp)
		return p; /* gone: what was read before, if anything */
	if (!p) {
		struct usym_pid *np = realloc(u->pids, (u->npids + 1) * sizeof(*np));
		if (!np) {
			fclose(fp);
			return NULL;
		}
		u->pids = np;
		p = &u->pids[u->npids++];
		*p = (struct usym_pid){ .pid = pid };
	}
	p->n = 0;
	size_t cap = 0;
	char line[4600];
	while (fgets(line, sizeof(line), fp)) {
		unsigned long long st, en, off;
		char perm[8], path[4096] = "";
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095[^\n]", &st, &en, perm, &off, path) < 4 ||
		    path[0] != '/')
			continue;
		if (p->n == cap) {
			cap = cap ? cap * 2 : 64;
			struct usym_map *nm = realloc(p->maps, cap * sizeof(*nm));
			if (!nm)
				break;
			p->maps = nm;
		}
		char open_path[4200];
		snprintf(open_path, sizeof(open_path), "/proc/%d/root%s", (int)pid, path);
		p->maps[p->n++] = (struct usym_map){ st, en, off, usym_file(u, path, open_path) };
	}
	fclose(fp);
	return p;
}

/*
** The symbol at a user address of process pid, as bcc resolves it for
** bpftrace: its name, the offset into it, the file it is in; false when
** no mapping or symbol holds the address (or the process is gone)
*/
bool usyms_resolve(struct usyms *u, pid_t pid, uint64_t addr, const char **name, uint64_t *off,
		   const char **module)
{
	for (int pass = 0; pass < 2; pass++) {
		struct usym_pid *p = usym_pid(u, pid, pass == 1);
		const struct usym_map *m = NULL;
		for (size_t i = 0; p && i < p->n; i++)
			if (addr >= p->maps[i].start && addr < p->maps[i].end)
				m = &p->maps[i];
		if (!m) {
			if (!p)
				return false;
			continue;
		}
		if (m->file < 0)
			return false;
		const struct usym_file *f = &u->files[m->file];
		uint64_t foff = addr - m->start + m->pgoff, vaddr = foff;
		for (size_t i = 0; i < f->nload; i++)
			if (foff >= f->load[i].p_offset && foff < f->load[i].p_offset + f->load[i].p_filesz) {
				vaddr = foff - f->load[i].p_offset + f->load[i].p_vaddr;
				break;
			}
		/* the last symbol at or below vaddr that covers it */
		size_t lo = 0, hi = f->n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (f->syms[mid].addr <= vaddr)
				lo = mid + 1;
			else
				hi = mid;
		}
		while (lo > 0) {
			const struct usym_sym *s = &f->syms[lo - 1];
			if (vaddr < s->addr + (s->size ? s->size : 1)) {
				*name = s->name;
				*off = vaddr - s->addr;
				*module = f->path;
				return true;
			}
			if (s->size || vaddr - s->addr > 0x100000)
				break;
			lo--;
		}
		return false;
	}
	return false;
}

/* uaddr(): a symbol's address in the file (its st_value) and size;
 * *pie when the file is position-independent (the address is then not
 * where it runs). false when it has no such symbol. */
bool uelf_sym_addr(const char *path, const char *name, uint64_t *addr, uint64_t *size, bool *pie)
{
	int fd;
	Elf *e = elf_open(path, &fd);
	bool found = false;
	GElf_Ehdr eh;
	if (e && gelf_getehdr(e, &eh)) {
		*pie = eh.e_type == ET_DYN;
		Elf_Scn *scn = NULL;
		while (!found && (scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			size_t cnt = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
			for (size_t i = 0; d && i < cnt; i++) {
				GElf_Sym sym;
				const char *nm;
				if (gelf_getsym(d, (int)i, &sym) && sym.st_shndx != SHN_UNDEF && sym.st_value &&
				    (nm = elf_strptr(e, sh.sh_link, sym.st_name)) &&
				    strlen(name) == strcspn(nm, "@") && !strncmp(nm, name, strlen(name))) {
					*addr = sym.st_value;
					*size = sym.st_size;
					found = true;
					break;
				}
			}
		}
	}
	elf_close(e, fd);
	return found;
}

/*
** The USDT probes of an ELF file (SystemTap notes: .note.stapsdt, type 3,
** "provider\0name\0args\0" after three addresses), as "provider:name"
** matching the globs (NULL: any), sorted and unique, malloc'd in *out;
** their number, or -1 when the file cannot be read as ELF.
*/
int uelf_usdt(const char *path, const char *provider, const char *name, char ***out)
{
	*out = NULL;
	int fd;
	Elf *e = elf_open(path, &fd);
	if (!e)
		return -1;
	char **v = NULL;
	int n = 0, cap = 0;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t off = 0, noff, doff;
		GElf_Nhdr nh;
		while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			const char *owner = (const char *)d->d_buf + noff;
			if (nh.n_type != 3 || nh.n_namesz != 8 || memcmp(owner, "stapsdt", 8) || nh.n_descsz < 3 * 8 + 2)
				continue;
			const char *desc = (const char *)d->d_buf + doff, *end = desc + nh.n_descsz;
			const char *prov = desc + 3 * 8;
			const char *pn = memchr(prov, 0, (size_t)(end - prov));
			if (!pn || pn + 1 >= end || !memchr(pn + 1, 0, (size_t)(end - pn - 1)))
				continue;
			pn++;
			if ((provider && fnmatch(provider, prov, 0)) || (name && fnmatch(name, pn, 0)))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				char **nv = realloc(v, sizeof(*v) * (size_t)cap);
				if (!nv)
					break;
				v = nv;
			}
			if (asprintf(&v[n], "%s:%s", prov, pn) >= 0)
				n++;
		}
	}
	elf_close(e, fd);
	*out = v;
	return sort_unique(v, n);
}

/*
** The library among path's DT_NEEDED ones (resolved by name as a uprobe
** target is) that defines func, malloc'd, or NULL: glibc 2.34 moved
** pthread_create and the rest of libpthread into libc, so a script's
** uprobe:libpthread:pthread_create is libc's, as the dynamic linker
** resolves it for a program linked against libpthread.
*/
char *uelf_needed_with(const char *path, const char *func)
{
	int fd;
	Elf *e = elf_open(path, &fd);
	char *found = NULL;
	Elf_Scn *scn = NULL;
	while (e && !found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t cnt = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; d && i < cnt && !found; i++) {
			GElf_Dyn dyn;
			const char *so;
			if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag != DT_NEEDED ||
			    !(so = elf_strptr(e, sh.sh_link, dyn.d_un.d_val)))
				continue;
			char *lib = uelf_resolve(so, 0), **v;
			int n = lib ? uelf_funcs(lib, func, &v) : -1;
			if (n > 0) {
				for (int k = 0; k < n; k++)
					free(v[k]);
				free(v);
			}
			if (n == 1)
				found = lib;
			else
				free(lib);
		}
	}
	elf_close(e, fd);
	return found;
}
