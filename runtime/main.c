/*
** runtime/main.c: the command line, and the one place that exits.
**
** Options follow bpftrace's; anything after the program (file name or
** -e text) is a positional parameter ($1, $2, ...). main is a ladder:
** compile, then (unless dumping or --dry-run) load, attach, run; every
** path ends in session_free() and one return.
*/
#include <errno.h>
#include <getopt.h>
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
	      "    -B MODE        output buffering mode ('line', 'full', or 'none')\n"
	      "    -c 'CMD'       run CMD and trace until it exits\n"
	      "    -d STAGE       print a compile stage and exit: ast, ir, bpf, all\n"
	      "    --dry-run      parse, type-check and compile, but do not load\n"
	      "    -e 'program'   execute this program\n"
	      "    -f FORMAT      output format ('text', 'json')\n"
	      "    -h, --help     show this help message\n"
	      "    -l [search]    list kprobes and tracepoints\n"
	      "    -o file        redirect program output to file\n"
	      "    -p PID         enable USDT probes on PID (accepted, unused)\n"
	      "    -v             verbose messages (verifier log)\n"
	      "    --no-warnings  disable warnings\n"
	      "    -V, --version  minibt version\n"
	      "\n"
	      "EXAMPLES:\n"
	      "minibt -l '*sleep*'\n"
	      "    list probes containing \"sleep\"\n"
	      "minibt -e 'kprobe:do_nanosleep { printf(\"PID %d sleeping...\\n\", pid); }'\n"
	      "    trace processes calling sleep\n"
	      "minibt -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'\n"
	      "    count syscalls by process name\n",
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
			fprintf(stderr, "ERROR: invalid -d stage '%s': use ast, ir, bpf or all\n", t);
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

/* returns 0 to run, 1 to exit 0 (help/version), -1 on a usage error */
static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_DRY = 256, OPT_NOWARN };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "no-warnings", no_argument, NULL, OPT_NOWARN },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	/* '+': stop at the first non-option, the script; the rest are its args */
	while ((c = getopt_long(argc, argv, "+B:c:d:e:f:hlo:p:vV", longopts, NULL)) != -1) {
		switch (c) {
		case 'B':
			if (!strcmp(optarg, "line"))
				o->buffering = 1;
			else if (!strcmp(optarg, "full"))
				o->buffering = 2;
			else if (!strcmp(optarg, "none"))
				o->buffering = 3;
			else {
				fprintf(stderr, "ERROR: -B: invalid buffering mode '%s': use line, full or none\n", optarg);
				return -1;
			}
			break;
		case 'c': o->cmd = optarg; break;
		case 'd':
			if (parse_dump(o, optarg) < 0)
				return -1;
			break;
		case 'e': o->prog_text = optarg; break;
		case 'f':
			if (!strcmp(optarg, "text"))
				o->format = OUT_TEXT;
			else if (!strcmp(optarg, "json"))
				o->format = OUT_JSON;
			else {
				fprintf(stderr, "ERROR: -f: invalid output format '%s': use text or json\n", optarg);
				return -1;
			}
			break;
		case 'h': usage(stdout); return 1;
		case 'l': o->list = true; break;
		case 'o': o->out_file = optarg; break;
		case 'p': {
			char *e;
			long v = strtol(optarg, &e, 10);
			if (*e || v <= 0) {
				fprintf(stderr, "ERROR: -p: '%s' is not a process id\n", optarg);
				return -1;
			}
			o->pid = (pid_t)v;
			break;
		}
		case 'v': o->verbose = true; break;
		case 'V': printf("minibt v%s\n", MINIBT_VERSION); return 1;
		case OPT_DRY: o->dry_run = true; break;
		case OPT_NOWARN: o->no_warnings = true; break;
		default:
			usage(stderr);
			return -1;
		}
	}
	int i = optind;
	if (o->list) {
		if (i < argc)
			o->list_pattern = argv[i++];
		return 0;
	}
	if (!o->prog_text) {
		if (i >= argc) {
			fputs("ERROR: no program given: pass a script file, '-' for stdin, or -e 'program'\n\n", stderr);
			usage(stderr);
			return -1;
		}
		o->prog_file = argv[i++];
	}
	/*
	** The script's arguments: --name[=value] and -n[=value] are named
	** parameters (getopt()), anything else positional ($1, $2, ...);
	** a "--" is skipped, and "-5" is a number, not an option.
	*/
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
	if (o.list)
		return list_probes(o.list_pattern, stdout) < 0 ? 1 : 0;

	struct session s = { 0 };
	s.opt = &o;
	s.sigfd = -1;
	s.child_pidfd = -1;
	rc = session_compile(&s);
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
