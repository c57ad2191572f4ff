/*
** tests/unit/test_sema.c: sema's tables indexed by an enum have a slot
** for every value. sema_funcs[] (frontend/sema_call.c) must hold a check
** for each function of funcs.def: a function added there without one
** fails here, not with a NULL call in some script. Then one script calls
** every function, so each check runs once and gives no error.
** Built with the whole front end by tests/unit/run; no kernel needed.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"

static int npass, nfail;

static void test_func_table(void)
{
	for (int f = 0; f < FUNC__COUNT; f++) {
		if (sema_funcs[f].check) {
			npass++;
			continue;
		}
		nfail++;
		fprintf(stderr, "FAIL sema_funcs[%d] (%s): no check in frontend/sema_call.c\n", f, func_names[f]);
	}
}

/* every function of funcs.def, called once as scripts do */
static const char SCRIPT[] =
	"BEGIN {\n"
	"	printf(\"%d %s\\n\", 1, \"x\"); time(); time(\"%H\\n\");\n"
	"	$s = str(0); $s2 = str(0, 8); $a = ntop(0x0100007f); $b = ntop(2, 0x0100007f);\n"
	"	$n = strncmp(comm, \"ab\", 2);\n"
	"	$w = bswap((uint32)1); $k = kstack(); $k2 = kstack(perf, 3); $y = ksym(0);\n"
	"	@c = count(); @s = sum(1); @mn = min(1); @mx = max(1); @av = avg(1);\n"
	"	@st = stats(1); @h = hist(1); @l = lhist(1, 0, 10, 1);\n"
	"	@m[1] = 1; delete(@m[1]); clear(@m); zero(@c); print(@c); print(@h, 2); print(1);\n"
	"	$o = getopt(\"flag\"); $o2 = getopt(\"n\", 1);\n"
	"	printmap(@c, \"%d\\n\"); printmap(@m, \"%d %d\\n\", 5);\n"
	"	system(\"echo %d\", 1); cat(\"/proc/%d/status\", pid);\n"
	"	join(0); join(0, \",\"); $mac = macaddr(0); $ts = strftime(\"%H\", nsecs);\n"
	"	$ip = ntop(pton(\"127.0.0.1\")); printf(\"%r\\n\", buf(\"ab\", 2));\n"
	"	$e = strerror(1); $sc = strcontains(comm, \"a\"); $cg = cgroup_path(cgroup, \"unified\");\n"
	"	debugf(\"%d %s\\n\", numaid, \"x\"); $u = username;\n"
	"}\n"
	"uprobe:/usr/bin/python3:main { $us = ustack(); $u2 = ustack(perf, 3); $sy = usym(arg0); $ua = uaddr(\"Py_BytesWarningFlag\"); }\n"
	"kfunc:vfs_read { $pa = path(args->file->f_path); }\n"
	"kfunc:__dev_queue_xmit { $so = skboutput(\"/tmp/x.pcap\", args->skb, args->skb->len, 14); }\n"
	"kprobe:f { $r = reg(\"ip\"); $p = kptr(arg0); $q = uptr(arg1); signal(\"KILL\"); signal(9); override(-1);\n"
	"	exit();\n"
	"}\n";

static void test_all_funcs(void)
{
	int used[FUNC__COUNT] = { 0 };
	for (int f = 0; f < FUNC__COUNT; f++) {
		char call[32];
		snprintf(call, sizeof(call), "%s(", func_names[f]);
		used[f] = strstr(SCRIPT, call) != NULL;
		if (!used[f]) {
			nfail++;
			fprintf(stderr, "FAIL test_sema.c SCRIPT does not call %s()\n", func_names[f]);
		}
	}
	struct source src;
	source_init(&src, "test", SCRIPT, sizeof(SCRIPT) - 1);
	struct diags d = { .src = &src };
	struct pp_result pp = { 0 };
	struct arena *a = arena_new();
	int rc = -1;
	if (pp_run(&src, false, &pp, &d) == 0) {
		struct program *p = parse_program(a, &src, &pp, &d);
		char *named[] = { "flag", "n=3" };
		/* kfunc's path() needs the kernel's BTF: this host's (make check's
		 * machines have it, as every kernel minibt runs on) */
		struct btf_ctx *btf = btfc_open(a, NULL, NULL);
		struct sema_opts o = { .named = named, .nnamed = 2, .unsafe = true, .btf = btf };
		if (p)
			rc = sema_check(p, &o, &d);
		btfc_close(btf);
	}
	if (rc == 0 && d.nerrors == 0) {
		npass++;
	} else {
		nfail++;
		fprintf(stderr, "FAIL a script calling every function:\n");
		diag_print(&d, stderr);
	}
	diag_fini(&d);
	pp_free(&pp);
	arena_free(a);
	source_fini(&src);
}

int main(void)
{
	test_func_table();
	if (!nfail) /* a NULL check would crash the script */
		test_all_funcs();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}
