/*
** runtime/main.c: the command line, and the one place that exits.
**
** Options follow bpftrace's; anything after the program (file name or
** -e text) is a positional parameter ($1, $2, ...). main is a ladder:
** compile, then (unless dumping or --dry-run) load, attach, run; every
** path ends in session_free() and one return.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "runtime.h"

#define MINIBT_VERSION "0.1.0"

static void usage(FILE *o)
{
	fputs("USAGE:\n"
	      "    minibt [options] filename [args...]\n"
	      "    minibt [options] - [args...]\n"
	      "    minibt [options] -e 'program' [args...]\n"
	      "\n"
	      "OPTIONS:\n"
	      "    -B MODE        output buffering mode ('line' (default), 'full', or 'none')\n"
	      "    -c 'CMD'       run CMD and trace until it exits\n"
	      "    -d STAGE       print a compile stage and exit: ast, ir, bpf, all\n"
	      "    --dry-run      parse, type-check and compile, but do not load\n"
	      "    --emit-elf FILE  write the BPF object (ELF) to FILE and exit\n"
	      "    -e 'program'   execute this program\n"
	      "    -f FORMAT      output format ('text', 'json')\n"
	      "    -h, --help     show this help message\n"
	      "    -I DIR         accepted as bpftrace's; types come from kernel BTF\n"
	      "    --include FILE accepted as bpftrace's; types come from kernel BTF\n"
	      "    -l [search]    list probes: kprobes, tracepoints, kfunc:, rawtracepoint:, iter:,\n"
	      "                   uprobe:BINARY:*, usdt:BINARY:* (-lv: fields, prototypes)\n"
	      "    -o file        redirect program output to file\n"
	      "    -p PID         trace until process PID exits (uprobes, usdt: in it only)\n"
	      "    -q             keep messages quiet (no \"Attaching N probes...\")\n"
	      "    -v             verbose messages (verifier log)\n"
	      "    --no-warnings  disable warnings\n"
	      "    --unsafe       allow unsafe builtin functions (system(), signal(), override())\n"
	      "    -V, --version  minibt version\n"
	      "\n"
	      "EXAMPLES:\n"
	      "minibt -l '*sleep*'\n"
	      "    list probes containing \"sleep\"\n"
	      "minibt -e 'kprobe:do_nanosleep { printf(\"PID %d sleeping...\\n\", pid); }'\n"
	      "    trace processes calling sleep\n"
	      "minibt -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'\n"
	      "    count syscalls by process name\n"
	      "minibt -e 'uretprobe:/bin/bash:readline { printf(\"%s\\n\", str(retval)); }'\n"
	      "    print the lines bash reads\n",
	      o);
}

static int parse_dump(struct options *o, const char *arg)
{
	char *copy = strdup(arg), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "ast"))
			o->dump |= DUMP_AST;
		else if (!strcmp(t, "ir"))
			o->dump |= DUMP_IR;
		else if (!strcmp(t, "bpf") || !strcmp(t, "asm"))
			o->dump |= DUMP_BPF;
		else if (!strcmp(t, "all"))
			o->dump |= DUMP_AST | DUMP_IR | DUMP_BPF;
		else {
			diag_now(DIAG_ERROR, NULL, NULL, NULL, "invalid -d stage '%s': use ast, ir, bpf or all", t);
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

/* an option of minibt's own, matched exactly (no prefixes: --n is a script's) */
struct opt_spec {
	const char *shortname, *longname;
	bool arg;
	int id;
};

enum { O_B = 1, O_C, O_D, O_E, O_F, O_H, O_L, O_O, O_P, O_V, O_VERSION, O_DRY, O_NOWARN, O_UNSAFE,
       O_Q, O_INCDIR, O_INCLUDE, O_EMIT_ELF };

static const struct opt_spec OPTS[] = {
	{ "-B", NULL, true, O_B }, { "-c", NULL, true, O_C }, { "-d", NULL, true, O_D },
	{ "-e", NULL, true, O_E }, { "-f", NULL, true, O_F }, { "-h", "--help", false, O_H },
	{ "-l", NULL, false, O_L }, { "-o", NULL, true, O_O }, { "-p", NULL, true, O_P },
	{ "-v", NULL, false, O_V }, { "-V", "--version", false, O_VERSION },
	{ NULL, "--dry-run", false, O_DRY }, { NULL, "--no-warnings", false, O_NOWARN },
	{ NULL, "--unsafe", false, O_UNSAFE }, { "-q", NULL, false, O_Q },
	{ "-I", NULL, true, O_INCDIR }, { NULL, "--include", true, O_INCLUDE },
	{ NULL, "--emit-elf", true, O_EMIT_ELF },
};

static const struct opt_spec *find_opt(const char *a, const char **attached)
{
	*attached = NULL;
	for (size_t i = 0; i < sizeof(OPTS) / sizeof(*OPTS); i++) {
		const struct opt_spec *o = &OPTS[i];
		if ((o->shortname && !strcmp(a, o->shortname)) || (o->longname && !strcmp(a, o->longname)))
			return o;
		/* -Bline, -dast: a short option with its value attached */
		if (o->shortname && o->arg && !strncmp(a, o->shortname, 2) && a[2]) {
			*attached = a + 2;
			return o;
		}
	}
	return NULL;
}

static int apply_opt(struct options *o, const struct opt_spec *sp, const char *v)
{
	switch (sp->id) {
	case O_B:
		if (!strcmp(v, "line"))
			o->buffering = 1;
		else if (!strcmp(v, "full"))
			o->buffering = 2;
		else if (!strcmp(v, "none"))
			o->buffering = 3;
		else {
			diag_now(DIAG_ERROR, NULL, NULL, NULL, "-B: invalid buffering mode '%s': use line, full or none", v);
			return -1;
		}
		return 0;
	case O_C: o->cmd = v; return 0;
	case O_D: return parse_dump(o, v);
	case O_E: o->prog_text = v; return 0;
	case O_F:
		if (!strcmp(v, "text"))
			o->format = OUT_TEXT;
		else if (!strcmp(v, "json"))
			o->format = OUT_JSON;
		else {
			diag_now(DIAG_ERROR, NULL, NULL, NULL, "-f: invalid output format '%s': use text or json", v);
			return -1;
		}
		return 0;
	case O_H: usage(stdout); return 1;
	case O_L: o->list = true; return 0;
	case O_O: o->out_file = v; return 0;
	case O_P: {
		char *e;
		long n = strtol(v, &e, 10);
		if (*e || n <= 0) {
			diag_now(DIAG_ERROR, NULL, NULL, NULL, "-p: '%s' is not a process id", v);
			return -1;
		}
		o->pid = (pid_t)n;
		return 0;
	}
	case O_V: o->verbose = true; return 0;
	case O_VERSION: printf("minibt v%s\n", MINIBT_VERSION); return 1;
	case O_DRY: o->dry_run = true; return 0;
	case O_NOWARN: o->no_warnings = true; return 0;
	case O_UNSAFE: o->unsafe = true; return 0;
	case O_Q: o->quiet = true; return 0;
	/* C headers: types and constants come from kernel BTF, as for a
	 * script's #include (frontend/pp.c), so there is nothing to read */
	case O_INCDIR: case O_INCLUDE: return 0;
	case O_EMIT_ELF: o->emit_elf = v; return 0;
	}
	return 0;
}

/* --emit-elf FILE: the compiled object, as bpftrace's (dry run) */
static int write_elf(struct session *s, const char *path)
{
	FILE *f = fopen(path, "we");
	if (!f || fwrite(s->img.elf, 1, s->img.elf_len, f) != s->img.elf_len) {
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "--emit-elf %s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	if (fclose(f) != 0) {
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "--emit-elf %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
** Options come first; the script is the first non-option (or -e PROG),
** and every argument after it is the script's: --name[=value] and
** -n[=value] are named parameters (getopt()), others positional ($1..).
** After -e, minibt's own options are still recognized until the first
** argument that is not one of them; "--" ends minibt's options.
** Returns 0 to run, 1 to exit 0 (help/version), -1 on a usage error.
*/
/*
** "-lv", "-ve PROG": short options written together, as getopt takes
** them: flags, then at most one option with a value, which is the rest of
** the word or else the next argument
*/
static bool bundle(const char *a)
{
	const char *att;
	if (a[0] != '-' || !a[1] || a[1] == '-' || !a[2])
		return false;
	for (const char *f = a + 1; *f; f++) {
		char one[3] = { '-', *f, 0 };
		const struct opt_spec *sp = find_opt(one, &att);
		if (!sp)
			return false;
		if (sp->arg)
			return true;
	}
	return true;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i], *att;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		const struct opt_spec *sp = a[0] == '-' && a[1] ? find_opt(a, &att) : NULL;
		if (!sp && bundle(a)) { /* -lv, -ve PROG: options together */
			for (const char *f = a + 1; *f; f++) {
				char one[3] = { '-', *f, 0 };
				const struct opt_spec *fs = find_opt(one, &att);
				const char *v = NULL;
				if (fs->arg) {
					if (f[1]) {
						v = f + 1;
					} else if (i + 1 < argc) {
						v = argv[++i];
					} else {
						diag_now(DIAG_ERROR, NULL, NULL, NULL, "option %s needs a value", one);
						fputc('\n', stderr);
						usage(stderr);
						return -1;
					}
				}
				int rc = apply_opt(o, fs, v);
				if (rc)
					return rc;
				if (fs->arg)
					break;
			}
			continue;
		}
		if (!sp) {
			if (a[0] == '-' && a[1] && !o->prog_text && !o->list) {
				diag_now(DIAG_ERROR, NULL, NULL, NULL, "unknown option '%s'", a);
				fputc('\n', stderr);
				usage(stderr);
				return -1;
			}
			break;
		}
		const char *v = NULL;
		if (sp->arg) {
			if (att) {
				v = att;
			} else if (i + 1 < argc) {
				v = argv[++i];
			} else {
				diag_now(DIAG_ERROR, NULL, NULL, NULL, "option %s needs a value", a);
				fputc('\n', stderr);
				usage(stderr);
				return -1;
			}
		}
		int rc = apply_opt(o, sp, v);
		if (rc)
			return rc;
	}
	if (o->list) {
		if (i < argc)
			o->list_pattern = argv[i++];
		return 0;
	}
	if (o->cmd && o->pid) {
		diag_now(DIAG_ERROR, NULL, NULL, NULL,
			 "-c and -p can not be used together: trace a command you start (-c) or one already running (-p)");
		return -1;
	}
	if (!o->prog_text) {
		if (i >= argc) {
			diag_now(DIAG_ERROR, NULL, NULL, NULL, "no program given: pass a script file, '-' for stdin, or -e 'program'");
			fputc('\n', stderr);
			usage(stderr);
			return -1;
		}
		o->prog_file = argv[i++];
	}
	o->pos = calloc((size_t)(argc - i) + 1, sizeof(char *));
	o->named = calloc((size_t)(argc - i) + 1, sizeof(char *));
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			continue;
		if (a[0] == '-' && a[1] == '-' && a[2])
			o->named[o->nnamed++] = (char *)a + 2;
		else if (a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9'))
			o->named[o->nnamed++] = (char *)a + 1;
		else
			o->pos[o->npos++] = (char *)a;
	}
	return 0;
}

/*
** -c CMD runs through sh -c (so quoting and redirections work), which
** would turn a mistyped command into sh's "not found" and a run that
** traces nothing and exits 0. bpftrace refuses a command it cannot find
** before it attaches anything; so does minibt, for the first word (a
** shell builtin such as cd or exec is taken as it is).
*/
static bool command_exists(const char *cmd)
{
	static const char *const builtins[] = { "cd", "exec", "eval", ".", "set", "export", "umask", "ulimit" };
	char word[4096];
	size_t n = strspn(cmd, " \t");
	size_t len = strcspn(cmd + n, " \t;&|<>()");
	if (len == 0 || len >= sizeof(word))
		return len != 0;
	memcpy(word, cmd + n, len);
	word[len] = 0;
	if (strchr(word, '=') || strchr(word, '\'') || strchr(word, '"') || strchr(word, '$'))
		return true; /* an assignment or quoting: sh decides */
	for (size_t i = 0; i < sizeof(builtins) / sizeof(*builtins); i++)
		if (!strcmp(word, builtins[i]))
			return true;
	if (strchr(word, '/'))
		return access(word, X_OK) == 0;
	const char *path = getenv("PATH");
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t dl = strcspn(p, ":");
		char full[8192];
		snprintf(full, sizeof(full), "%.*s/%s", (int)dl, dl ? p : ".", word);
		if (access(full, X_OK) == 0)
			return true;
		p += dl + (p[dl] == ':');
	}
	return false;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	o.format = OUT_TEXT;
	int rc = parse_args(argc, argv, &o);
	if (rc)
	{
		free(o.pos);
		free(o.named);
		return rc > 0 ? 0 : 1;
	}
	if (o.list) {
		struct kernel *k = kernel_open();
		rc = list_probes(k, o.list_pattern, o.verbose, stdout) < 0 ? 1 : 0;
		kernel_close(k);
		return rc;
	}
	if (o.cmd && !command_exists(o.cmd)) {
		diag_now(DIAG_ERROR, NULL, NULL, "check its name and PATH, or give its full path",
			 "-c: command not found: %.*s", (int)strcspn(o.cmd + strspn(o.cmd, " \t"), " \t;&|<>()"),
			 o.cmd + strspn(o.cmd, " \t"));
		free(o.pos);
		free(o.named);
		return 1;
	}

	struct session s = { 0 };
	s.opt = &o;
	s.sigfd = -1;
	s.child_pidfd = -1;
	s.child_gate = -1;
	rc = session_compile(&s);
	if (rc == 0 && o.emit_elf)
		rc = write_elf(&s, o.emit_elf);
	if (o.emit_elf)
		o.dry_run = true;
	if (rc == 0 && !o.dry_run && !o.dump)
		rc = session_load(&s);
	if (rc == 0 && !o.dry_run && !o.dump)
		rc = events_run(&s);
	int code = rc == 0 ? s.exit_code : 1;
	session_free(&s);
	free(o.pos);
	free(o.named);
	return code;
}
